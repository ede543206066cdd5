#!/usr/bin/env node
// Launcher: vmcheck is written in TypeScript and runs from source through tsx, so a fresh
// clone works after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
const { main, quietOnClosedPipe } = await import("../model-check/cli.ts");
quietOnClosedPipe();
process.exitCode = await main(process.argv.slice(2));
