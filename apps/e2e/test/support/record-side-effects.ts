/**
 * Preloaded (`node -r`) into a script under test: appends one line to $SIDE_EFFECTS_FILE for every
 * socket the script listens on or connects, and every process it spawns, so a test can show that a
 * script refused its flags before starting anything.
 */
import { appendFileSync } from 'fs';
import * as childProcess from 'child_process';
import * as net from 'net';

const file = process.env['SIDE_EFFECTS_FILE'];
if (file === undefined) throw new Error('SIDE_EFFECTS_FILE is not set');
const record = (what: string) => appendFileSync(file, `${what}\n`);

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  record('listen');
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  record('connect');
  return connect.apply(this, args as Parameters<typeof connect>);
} as typeof connect;

// Every spawn, exec and fork goes through ChildProcess#spawn (internal, hence not in the typings).
const processPrototype = childProcess.ChildProcess.prototype as unknown as {
  spawn(...args: unknown[]): unknown;
};
const spawn = processPrototype.spawn;
processPrototype.spawn = function (this: unknown, ...args: unknown[]) {
  record('spawn');
  return spawn.apply(this, args);
};
