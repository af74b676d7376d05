#!/usr/bin/env node
// Validates a batch of Adaptive Cards with the Adaptive Cards JavaScript SDK (the renderer Teams is built on),
// offline and without a DOM, and prints every event the SDK raises, per card, as JSON.
//
//   node validate.cjs --version 1.5 CARDS.json
// CARDS.json is an object {name: card}. Output: {name: [{event, message, phase, sourceType, sourceId}]}.
// Deciding which events matter (Teams-specific false positives) is left to the caller, so nothing is hidden here.
// Exit status: 0 the report was printed (whatever it says), 2 bad usage or the SDK could not be loaded.
"use strict";

const fs = require("node:fs");

function loadSdk() {
  try {
    // lib/ is ESM with extension-less imports that Node cannot resolve; the UMD bundle loads without a DOM.
    return require("adaptivecards/dist/adaptivecards.js");
  } catch (error) {
    console.error(`cannot load adaptivecards (run npm ci in ${__dirname}): ${error.message}`);
    process.exit(2);
  }
}

function parseArgs(argv) {
  let version;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--version") version = argv[++i];
    else files.push(argv[i]);
  }
  if (!version || !/^\d+\.\d+$/.test(version) || files.length !== 1) {
    console.error("usage: node validate.cjs --version MAJOR.MINOR CARDS.json");
    process.exit(2);
  }
  return { version, file: files[0] };
}

function describe(sdk, event) {
  const source = event.source;
  return {
    event: sdk.ValidationEvent[event.event] ?? String(event.event),
    message: event.message,
    phase: sdk.ValidationPhase[event.phase] ?? String(event.phase),
    sourceType: source && typeof source.getJsonTypeName === "function" ? source.getJsonTypeName() : null,
    sourceId: source && typeof source.id === "string" ? source.id : null,
  };
}

function validateCard(sdk, targetVersion, json) {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return [{ event: "Other", message: "the card is not a JSON object", phase: "Parse", sourceType: null, sourceId: null }];
  }
  const card = new sdk.AdaptiveCard();
  const context = new sdk.SerializationContext(targetVersion);
  card.parse(json, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) events.push(describe(sdk, context.getEventAt(i)));
  for (const event of card.validateProperties().validationEvents) events.push(describe(sdk, event));
  return events;
}

function main() {
  const { version, file } = parseArgs(process.argv.slice(2));
  const sdk = loadSdk();
  const [major, minor] = version.split(".").map(Number);
  const targetVersion = new sdk.Version(major, minor);
  let cards;
  try {
    cards = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`cannot read ${file}: ${error.message}`);
    process.exit(2);
  }
  const report = {};
  for (const [name, json] of Object.entries(cards)) report[name] = validateCard(sdk, targetVersion, json);
  process.stdout.write(JSON.stringify(report));
}

main();
