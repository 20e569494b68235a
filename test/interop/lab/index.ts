// The interop lab: network namespaces, strongSwan and Libreswan peers, captures, polling and cleanup.
export * from './plan.js';
export * from './exec.js';
export * from './poll.js';
export * from './cleanup.js';
export * from './conf.js';
export * from './netns.js';
export * from './vici-raw.js';
export * from './charon.js';
export * from './pluto.js';
export * from './capture.js';
export * from './deps.js';
export * from './lab.js';
export * from './mocha.js';
export * from './pcap.js';
export * from './keylog.js';
export * from './extract.js';
export * from './scenarios.js';
