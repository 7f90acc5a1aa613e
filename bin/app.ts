#!/usr/bin/env node
// First, so that Node's compile cache covers every module below.
import './compile-cache';
import { buildBlueprint, buildZoneOnly, createApp } from '../lib/app';
import { ConfigError } from '../lib/config';
import { PropError } from '../lib/constructs/validation';

// CDK's template lint runs in `npm test` over every stack of every profile; interactive
// synth/diff/deploy skip it unless CDK_VALIDATION=true (decision 2 has the figures).
try {
  const { app, config } = createApp({ templateLint: process.env.CDK_VALIDATION === 'true' });
  if (config.zoneOnly) buildZoneOnly(app, config);
  else buildBlueprint(app, config);
  app.synth();
} catch (error) {
  // A construct's own invariant that the config's rules let through is one line too.
  if (error instanceof PropError) {
    console.error(`prop error: ${error.message}`);
    process.exit(1);
  }
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  process.exit(1);
}
