#!/usr/bin/env node
// First, so that Node's compile cache covers every module below.
import './compile-cache';
import { App } from 'aws-cdk-lib';
import { buildBlueprint } from '../lib/app';
import { ConfigError, loadConfig } from '../lib/config';

// CDK's built-in CloudFormation template lint costs ~2 s of fixed start-up per synth, more than
// the rest of synth together. `npm test` runs it over every stack of every profile and fails on
// any finding, so interactive synth/diff/deploy skip it; CDK_VALIDATION=true turns it back on.
// CDK records where every resource was created, a stack trace each: ~0.1 s of synth. Construct
// paths already name each resource in nag findings and deploy errors; CDK_DEBUG=true records them.
const app = new App({
  builtinCloudFormationValidation: process.env.CDK_VALIDATION === 'true',
  context: { 'aws:cdk:disable-creation-stack-traces': true },
});
try {
  buildBlueprint(app, loadConfig(app.node.getAllContext()));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`config error: ${error.message}`);
  process.exit(1);
}
app.synth();
