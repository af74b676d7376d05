#!/usr/bin/env node
// Offline validation of a Teams app manifest (manifest.json, a folder holding one, or an app package zip)
// against the JSON schemas bundled in @microsoft/app-manifest.
//
// Why a wrapper: the library downloads any $schema it does not recognise as bundled, and the machines
// we build on cannot (and should not) reach the internet. So this script resolves the schema file
// itself and refuses every other URL, checks that manifestVersion agrees with the $schema version,
// and checks the icon files Teams needs (present, PNG, 192x192 colour and 32x32 outline).
//
//   node validate.mjs [--json] PATH [PATH...]
// Exit status: 0 all valid, 1 at least one manifest has errors, 2 bad usage or missing dependencies.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import zlib from "node:zlib";

const require = createRequire(import.meta.url);

// https://developer.microsoft.com/[xx-xx/]json-schemas/teams/<version>/MicrosoftTeams.schema.json
const SCHEMA_URL =
  /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/teams\/(v\d+\.\d+|vDevPreview)\/MicrosoftTeams\.schema\.json$/i;
const ICON_SIZES = { color: 192, outline: 32, color32x32: 32 };
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function loadLibrary() {
  try {
    const appManifest = require("@microsoft/app-manifest");
    const packageDir = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));
    return { utils: appManifest.AppManifestUtils, schemaRoot: path.join(packageDir, "build", "json-schemas", "teams") };
  } catch (error) {
    console.error(`cannot load @microsoft/app-manifest (run npm ci in ${path.dirname(new URL(import.meta.url).pathname)}): ${error.message}`);
    process.exit(2);
  }
}

// ------------------------------------------------------------------------------------------- zip reading
// A zip's central directory lists every entry; enough of the format to read our own packages.
function readZip(buffer) {
  const minimumEnd = Math.max(0, buffer.length - 65557);
  let end = -1;
  for (let i = buffer.length - 22; i >= minimumEnd; i--) {
    if (buffer.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("not a zip file (no end-of-central-directory record)");
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (buffer.readUInt32LE(offset) !== 0x02014b50) throw new Error("corrupt zip central directory");
    const method = buffer.readUInt16LE(offset + 10);
    const compressedSize = buffer.readUInt32LE(offset + 20);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const localOffset = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString("utf8", offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    const dataStart = localOffset + 30 + buffer.readUInt16LE(localOffset + 26) + buffer.readUInt16LE(localOffset + 28);
    const raw = buffer.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`zip entry ${name} uses unsupported compression method ${method}`);
    entries.set(name, () => (method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw)));
  }
  return entries;
}

// A source hands out the manifest text and the bytes of files it names (icons), from a folder or a zip.
function openSource(target) {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) throw new Error("no such file or folder");
  if (stat.isDirectory()) return openSource(path.join(target, "manifest.json"));
  if (target.toLowerCase().endsWith(".zip")) {
    const entries = readZip(fs.readFileSync(target));
    if (!entries.has("manifest.json")) throw new Error("the package has no manifest.json at the root of the zip");
    return { manifestText: entries.get("manifest.json")().toString("utf8"), file: (name) => entries.get(name)?.() };
  }
  const folder = path.dirname(target);
  return {
    manifestText: fs.readFileSync(target, "utf8"),
    file: (name) => {
      const full = path.resolve(folder, name);
      return fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full) : undefined;
    },
  };
}

// ------------------------------------------------------------------------------------------- checks
function unfilledPlaceholders(value, pointer = "") {
  if (typeof value === "string") return value.includes("${{") ? [`${pointer} contains an unfilled placeholder: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unfilledPlaceholders(item, `${pointer}/${i}`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => unfilledPlaceholders(item, `${pointer}/${key}`));
  }
  return [];
}

function bundledSchema(manifest, schemaRoot) {
  const url = manifest.$schema;
  if (typeof url !== "string" || !url) return { error: "/$schema is missing: it must name a bundled Teams schema" };
  const match = SCHEMA_URL.exec(url);
  const schemaFile = match && path.join(schemaRoot, match[1], "MicrosoftTeams.schema.json");
  if (!match || !fs.existsSync(schemaFile)) {
    return { error: `/$schema ${url} is not a bundled Teams schema; refusing to download it` };
  }
  const version = match[1];
  const expected = version === "vDevPreview" ? "devPreview" : version.slice(1);
  // The published schemas contain \a and \v escapes that JSON does not allow; the library patches them the same way.
  const text = fs.readFileSync(schemaFile, "utf8").replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b");
  return { schema: JSON.parse(text), version: expected };
}

function pngSize(bytes) {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE) || bytes.toString("latin1", 12, 16) !== "IHDR") {
    return undefined;
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function iconErrors(manifest, source) {
  const errors = [];
  for (const [kind, size] of Object.entries(ICON_SIZES)) {
    const name = manifest.icons?.[kind];
    if (typeof name !== "string" || !name) continue; // a missing required icon is a schema error already
    const bytes = source.file(name);
    if (!bytes) {
      errors.push(`/icons/${kind} file ${name} does not exist`);
      continue;
    }
    const dimensions = pngSize(bytes);
    if (!dimensions) errors.push(`/icons/${kind} file ${name} is not a PNG image`);
    else if (dimensions.width !== size || dimensions.height !== size) {
      errors.push(`/icons/${kind} file ${name} is ${dimensions.width}x${dimensions.height}, must be ${size}x${size}`);
    }
  }
  return errors;
}

async function validate(target, library) {
  let source;
  let manifest;
  try {
    source = openSource(target);
    manifest = JSON.parse(source.manifestText.replace(/^\uFEFF/, ""));
  } catch (error) {
    return [`cannot read the manifest: ${error.message}`];
  }
  const errors = unfilledPlaceholders(manifest);
  const { schema, version, error } = bundledSchema(manifest, library.schemaRoot);
  if (error) errors.push(error);
  else {
    if (manifest.manifestVersion !== version) {
      errors.push(`/manifestVersion is ${JSON.stringify(manifest.manifestVersion)} but $schema is version ${version}`);
    }
    errors.push(...(await library.utils.validateAgainstSchema(manifest, schema)));
  }
  errors.push(...iconErrors(manifest, source));
  return errors;
}

async function main(argv) {
  const json = argv.includes("--json");
  const targets = argv.filter((arg) => arg !== "--json");
  if (targets.length === 0 || targets.some((arg) => arg.startsWith("--"))) {
    console.error("usage: node validate.mjs [--json] MANIFEST.json|FOLDER|PACKAGE.zip [...]");
    return 2;
  }
  const library = loadLibrary();
  const results = {};
  for (const target of targets) results[target] = await validate(target, library);
  if (json) console.log(JSON.stringify(results, null, 2));
  else {
    for (const [target, errors] of Object.entries(results)) {
      if (errors.length === 0) console.log(`${target}: valid`);
      else {
        console.error(`${target}: ${errors.length} error(s)`);
        for (const line of errors) console.error(`  ${line}`);
      }
    }
  }
  return Object.values(results).some((errors) => errors.length > 0) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
