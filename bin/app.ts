#!/usr/bin/env node
// First, so that Node's compile cache covers every module below.
import './compile-cache';
import { App } from 'aws-cdk-lib';
import { buildBlueprint, buildZoneOnly } from '../lib/app';
import { ConfigError, loadConfig } from '../lib/config';

// Both settings are measured in docs/decisions/0002. CDK's built-in CloudFormation template lint
// costs more than the rest of synth together; `npm test` runs it over every stack of every
// profile and fails on any finding, so interactive synth/diff/deploy skip it (CDK_VALIDATION=true
// turns it back on). CDK records where every resource was created, a stack trace each; construct
// paths already name each resource in nag findings and deploy errors (CDK_DEBUG=true records them).
const app = new App({
  builtinCloudFormationValidation: process.env.CDK_VALIDATION === 'true',
  context: { 'aws:cdk:disable-creation-stack-traces': true },
});
try {
  const config = loadConfig(app.node.getAllContext());
  if (config.zoneOnly) buildZoneOnly(app, config);
  else buildBlueprint(app, config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  process.exit(1);
}
app.synth();
