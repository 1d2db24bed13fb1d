#!/usr/bin/env node
// The images' HEALTHCHECK, with nothing but node (no curl or wget in the images):
//   healthcheck.js http://127.0.0.1:8085/health/ready   exit 0 on a 2xx answer
//   healthcheck.js tcp://127.0.0.1:9092                  exit 0 when a TCP connection opens
// Exit 1 otherwise, within 4 s.
'use strict';
const net = require('net');

const target = new URL(process.argv[2] || '');
const fail = (why) => {
  process.stderr.write(`unhealthy: ${target.href}: ${why}\n`);
  process.exit(1);
};
setTimeout(() => fail('no answer within 4 s'), 4000).unref();

if (target.protocol === 'tcp:') {
  const socket = net.connect(Number(target.port), target.hostname.replace(/^\[(.*)\]$/, '$1'), () => {
    socket.end();
    process.exit(0);
  });
  socket.on('error', (error) => fail(error.message));
} else {
  fetch(target, { signal: AbortSignal.timeout(4000) }).then(
    (response) => (response.ok ? process.exit(0) : fail(`HTTP ${response.status}`)),
    (error) => fail(error.message),
  );
}
