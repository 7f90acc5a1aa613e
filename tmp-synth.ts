import { buildApp } from './test/helpers';
const o = JSON.parse(process.argv[2] ?? '{}');
const t = Date.now();
const b = buildApp(o);
b.app.synth();
console.log('synth ok', Date.now() - t);
