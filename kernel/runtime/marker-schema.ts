/**
 * The `.swamp.yaml` schema and parser. Loaded only when the marker changed since it was last
 * validated (see marker.ts), so everyday commands never pay for yaml and zod start-up.
 */
import { parseDocument, stringify } from "yaml";
import * as z from "zod";
import { configError } from "./marker.js";

const NAMESPACE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const DatastoreBlockSchema = z
  .object({
    type: z.string().min(1, "must be a non-empty string"),
    path: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    directories: z.array(z.string().min(1)).optional(),
    exclude: z.array(z.string()).optional(),
    hydrationStrategy: z.enum(["full", "lazy"]).optional(),
    namespace: z.string().max(64).regex(NAMESPACE, "must be a lowercase slug like 'team-a'").optional(),
    // Legacy `type: s3` fields, remapped into `config`.
    bucket: z.string().optional(),
    prefix: z.string().optional(),
    region: z.string().optional(),
    endpoint: z.string().optional(),
    forcePathStyle: z.boolean().nullable().optional(),
  })
  .loose();

const IsolationSchema = z.enum(["worker", "sandbox"]);

/**
 * How extensions run: `worker` (a worker thread: fault isolation) or `sandbox` (a child
 * process under Node's permission model). The most specific setting wins.
 */
export const ExtensionsBlockSchema = z
  .object({
    isolation: IsolationSchema.optional(),
    kinds: z
      .object({
        datastore: IsolationSchema.optional(),
        model: IsolationSchema.optional(),
        vault: IsolationSchema.optional(),
        driver: IsolationSchema.optional(),
        report: IsolationSchema.optional(),
      })
      .strict()
      .optional(),
    overrides: z.record(z.string().min(1), IsolationSchema).optional(),
    /** The npm-protocol registry extensions are pushed to and pulled from. */
    registry: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  })
  .strict();

export const MarkerSchema = z
  .object({
    swampVersion: z.string().optional(),
    initializedAt: z.string().optional(),
    upgradedAt: z.string().optional(),
    repoId: z.string().min(1).optional(),
    modelsDir: z.string().min(1).optional(),
    workflowsDir: z.string().min(1).optional(),
    vaultsDir: z.string().min(1).optional(),
    driversDir: z.string().min(1).optional(),
    datastoresDir: z.string().min(1).optional(),
    reportsDir: z.string().min(1).optional(),
    tools: z.array(z.string()).optional(),
    logLevel: z.string().optional(),
    gitignoreManaged: z.boolean().optional(),
    datastore: DatastoreBlockSchema.optional(),
    trustedCollectives: z.array(z.string()).optional(),
    trustMemberCollectives: z.boolean().optional(),
    autoGc: z.boolean().optional(),
    defaultVault: z.string().optional(),
    defaultDriver: z.string().optional(),
    defaultDriverConfig: z.record(z.string(), z.unknown()).optional(),
    extensions: ExtensionsBlockSchema.optional(),
  })
  .loose();

export type Marker = z.infer<typeof MarkerSchema>;
export type DatastoreBlock = z.infer<typeof DatastoreBlockSchema>;

/** Formats the first zod issue as `field.path` and message. */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: "", message: "invalid value" };
  return { field: issue.path.map(String).join("."), message: issue.message };
}

/** Parses and validates marker text; `file` is only used in messages. */
export function parseMarker(text: string, file: string): Marker {
  const doc = parseDocument(text, { prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line;
    throw configError(file, `invalid YAML${line ? ` at line ${line}` : ""}: ${yamlError.message.split("\n")[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw configError(file, "must be a YAML mapping");
  }
  const parsed = MarkerSchema.safeParse(value);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    throw configError(file, message, field);
  }
  return parsed.data;
}

export function stringifyMarker(marker: Marker): string {
  return stringify(marker, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}
