export * from './environment';
export * from './cpu-meter';
