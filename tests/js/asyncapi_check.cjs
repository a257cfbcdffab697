// Parses an AsyncAPI document with the official parser and its Protobuf schema parser.
// Usage: node asyncapi_check.cjs <asyncapi.yaml>
// Prints one JSON line: {"errors": [...], "warnings": N, "channels": [...], "messages": {...}}.
"use strict";
const fs = require("fs");
const { Parser } = require("@asyncapi/parser");
const { ProtoBuffSchemaParser } = require("@asyncapi/protobuf-schema-parser");

const ERROR = 0;
const WARNING = 1;

async function main() {
  const text = fs.readFileSync(process.argv[2], "utf8");
  const parser = new Parser();
  parser.registerSchemaParser(ProtoBuffSchemaParser());
  const { document, diagnostics } = await parser.parse(text);
  const errors = diagnostics.filter((d) => d.severity === ERROR).map((d) => `${d.path.join("/")}: ${d.message}`);
  const result = { errors, warnings: diagnostics.filter((d) => d.severity === WARNING).length, channels: [], messages: {} };
  if (document) {
    for (const channel of document.channels()) {
      result.channels.push({ id: channel.id(), address: channel.address(), kafka: channel.bindings().has("kafka") });
    }
    for (const message of document.components().messages()) {
      const payload = message.payload();
      result.messages[message.id()] = {
        schemaFormat: message.schemaFormat(),
        title: payload ? payload.title() : null,
        properties: payload && payload.properties() ? Object.keys(payload.properties()) : [],
        description: message.description() || null,
      };
    }
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ errors: [String(error && error.stack ? error.stack : error)] }) + "\n");
  process.exitCode = 2;
});
