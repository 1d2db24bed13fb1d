export * from './upshift-container';
export * from './started-upshift';
export * from './upshift-client';
