#!/usr/bin/env node
// First, so that Node's compile cache covers every module below.
import './compile-cache';
import { buildBlueprint, buildZoneOnly, createApp } from '../lib/app';
import { ConfigError } from '../lib/config';

// CDK's template lint runs in `npm test` over every stack of every profile; interactive
// synth/diff/deploy skip it unless CDK_VALIDATION=true (decision 2 has the figures).
try {
  const { app, config } = createApp({ templateLint: process.env.CDK_VALIDATION === 'true' });
  if (config.zoneOnly) buildZoneOnly(app, config);
  else buildBlueprint(app, config);
  app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  process.exit(1);
}
