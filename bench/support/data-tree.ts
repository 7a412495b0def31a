/**
 * Large data trees for benchmarks, written directly (files, `latest`, journals, registry)
 * because going through the API would spend minutes in fsyncs. The layout is exactly what
 * DataRepository writes.
 */
import { createHash, randomUUID } from "node:crypto";
import { appendFileSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { journalLine, newGen } from "../../kernel/data/index.js";
import { parseMetadata, serializeMetadata, type DataMetadata } from "../../kernel/data/metadata.js";

export interface TreeShape {
  type: string;
  models: number;
  names: number;
  versions: number;
}

export function benchMetadata(type: string, modelId: string, name: string, version: number, raw: string, createdAt: string): DataMetadata {
  return {
    id: randomUUID(),
    name,
    version,
    contentType: "application/json",
    lifetime: "infinite",
    garbageCollection: 5,
    streaming: false,
    tags: { type: "resource", specName: "state", modelName: `model-${modelId.slice(0, 8)}` },
    ownerDefinition: { ownerType: "model-method", ownerRef: modelId },
    createdAt,
    size: raw.length,
    checksum: createHash("sha256").update(raw).digest("hex"),
  } as DataMetadata;
}

/** Writes `models × names × versions` versions under `dataRoot`; returns the model ids and bytes. */
export function generateDataTree(dataRoot: string, shape: TreeShape): { modelIds: string[]; bytes: number } {
  const modelIds: string[] = [];
  const registry: string[] = [];
  let bytes = 0;
  const start = Date.parse("2026-01-01T00:00:00.000Z");
  for (let m = 0; m < shape.models; m++) {
    const modelId = randomUUID();
    modelIds.push(modelId);
    const modelDir = join(dataRoot, shape.type, modelId);
    const journal: string[] = [journalLine({ op: "init", gen: newGen() })];
    for (let n = 0; n < shape.names; n++) {
      const name = `item-${n}`;
      const nameDir = join(modelDir, name);
      for (let v = 1; v <= shape.versions; v++) {
        const dir = join(nameDir, String(v));
        mkdirSync(dir, { recursive: true });
        const raw = JSON.stringify({ model: m, name: n, version: v, status: v % 3 === 0 ? "error" : "ok", payload: "z".repeat(100) });
        writeFileSync(join(dir, "raw"), raw);
        bytes += raw.length;
        const seq = m * shape.names * shape.versions + n * shape.versions + v;
        const meta = benchMetadata(shape.type, modelId, name, v, raw, new Date(start + seq * 1000).toISOString());
        writeFileSync(join(dir, "metadata.yaml"), serializeMetadata(meta));
        journal.push(journalLine({ op: "put", ...meta }));
      }
      writeFileSync(join(nameDir, "latest"), String(shape.versions));
    }
    writeFileSync(join(modelDir, ".index.jsonl"), journal.join(""));
    registry.push(JSON.stringify({ type: shape.type, id: modelId }) + "\n");
  }
  writeFileSync(join(dataRoot, ".models.jsonl"), registry.join(""));
  return { modelIds, bytes };
}

/**
 * Gives every data name of the model at `modelDir` `count` more versions, as that many more
 * runs would leave them: copies of the name's highest version (raw linked, metadata with the
 * new version and id) and a `pending` and a `put` journal line each.
 */
export function extendHistory(modelDir: string, count: number): void {
  const lines: string[] = [];
  for (const name of readdirSync(modelDir)) {
    if (name.startsWith(".")) continue;
    const nameDir = join(modelDir, name);
    const top = Math.max(...readdirSync(nameDir).filter((v) => /^[0-9]+$/.test(v)).map(Number));
    const meta = parseMetadata(readFileSync(join(nameDir, String(top), "metadata.yaml"), "utf8"));
    for (let version = top + 1; version <= top + count; version++) {
      const dir = join(nameDir, String(version));
      mkdirSync(dir);
      linkSync(join(nameDir, String(top), "raw"), join(dir, "raw"));
      const copy = { ...meta, id: randomUUID(), version };
      writeFileSync(join(dir, "metadata.yaml"), serializeMetadata(copy));
      lines.push(journalLine({ op: "pending", name, version }), journalLine({ op: "put", ...copy }));
    }
    writeFileSync(join(nameDir, "latest"), String(top + count));
  }
  appendFileSync(join(modelDir, ".index.jsonl"), lines.join(""));
}
