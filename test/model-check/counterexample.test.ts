import { describe, expect, it } from "vitest";
import {
  CounterexampleFormatError, decodeCounterexample, encodeCounterexample, type Counterexample,
} from "../../model-check/counterexample.ts";

const sample: Counterexample = {
  format: "vmcheck-counterexample",
  version: 2,
  scope: { addressBits: 32, pageSize: 64, maxWireCount: 3, maxObjectPages: 16, kernelBufferThreshold: 4096 },
  seed: 7,
  commands: [
    { op: "create", min: 0, max: 0x400 },
    { op: "enter", map: 0, addr: Number.NaN, size: Number.POSITIVE_INFINITY, mask: 0, anywhere: true, alias: 0, cur: 3, max: 7, inheritance: 1, source: { kind: "anonymous" } },
    { op: "write_user", map: 0, addr: 0x40, data: "0a0b" },
  ],
  failure: { check: "results", step: 1, message: "spec and impl disagree" },
};

describe("counterexample files", () => {
  it("round-trips, including NaN and Infinity arguments", () => {
    const back = decodeCounterexample(encodeCounterexample(sample));
    expect(back).toEqual(sample);
    expect(Number.isNaN((back.commands[1] as { addr: number }).addr)).toBe(true);
  });

  it("rejects a truncated file, saying it may be truncated", () => {
    const text = encodeCounterexample(sample);
    expect(() => decodeCounterexample(text.slice(0, text.length / 2))).toThrow(/truncated/);
  });

  it("names the bad field of a malformed command", () => {
    const doc = JSON.parse(encodeCounterexample(sample));
    doc.commands[2].addr = "0x40";
    expect(() => decodeCounterexample(JSON.stringify(doc))).toThrow(CounterexampleFormatError);
    expect(() => decodeCounterexample(JSON.stringify(doc))).toThrow(/commands.*2/);
  });

  it("rejects an unknown operation, a wrong format, an unknown version and a bad scope", () => {
    const doc = () => JSON.parse(encodeCounterexample(sample));
    const unknownOp = doc(); unknownOp.commands[0].op = "frobnicate";
    expect(() => decodeCounterexample(JSON.stringify(unknownOp))).toThrow(/commands/);
    const format = doc(); format.format = "something-else";
    expect(() => decodeCounterexample(JSON.stringify(format))).toThrow(/"format"/);
    const version = doc(); version.version = 99;
    expect(() => decodeCounterexample(JSON.stringify(version))).toThrow(/"version"/);
    const scope = doc(); scope.scope.pageSize = 100;
    expect(() => decodeCounterexample(JSON.stringify(scope))).toThrow(/pageSize/);
    const missing = doc(); delete missing.failure;
    expect(() => decodeCounterexample(JSON.stringify(missing))).toThrow(/failure/);
  });

  it("migrates a version 1 file (no kernel-buffer threshold) to the current version", () => {
    const v1 = JSON.parse(encodeCounterexample(sample));
    v1.version = 1;
    delete v1.scope.kernelBufferThreshold;
    const back = decodeCounterexample(JSON.stringify(v1));
    expect(back.version).toBe(2);
    expect(back.scope.kernelBufferThreshold).toBe(4096);
    expect(back.commands).toEqual(sample.commands);
  });
});
