/**
 * Configuration of the S3 datastore (`.swamp.yaml` `datastore.config`, `SWAMP_DATASTORE`, or
 * the legacy top-level `type: s3` fields). Credentials are never part of it: the AWS SDK's
 * default chain finds them (env, profile, SSO, web identity, container/instance roles).
 */
import * as z from "zod";

export const S3_DATASTORE_TYPE = "s3";
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_PULL_CONCURRENCY = 50;
export const DEFAULT_PUSH_CONCURRENCY = 25;

/** S3 bucket naming rules (3-63 chars, lowercase letters, digits, dots and hyphens). */
export const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const S3ConfigSchema = z.object({
  bucket: z
    .string()
    .min(3, "bucket must be 3-63 characters")
    .max(63, "bucket must be 3-63 characters")
    .regex(BUCKET_PATTERN, "bucket must use lowercase letters, digits, '.' and '-', and start and end with a letter or digit"),
  prefix: z
    .string()
    .optional()
    .refine((p) => p === undefined || !p.split("/").some((s) => s === ".." || s === "."), "prefix must not contain '.' or '..' segments"),
  region: z.string().min(1).optional(),
  endpoint: z.string().url("endpoint must be a URL such as https://s3.example.com").optional(),
  forcePathStyle: z.boolean().optional(),
  pullConcurrency: z.number().int().min(1).max(1000).optional(),
  pushConcurrency: z.number().int().min(1).max(1000).optional(),
  requestTimeoutMs: z.number().int().min(1000).max(600_000).optional(),
});

export type S3DatastoreConfig = z.infer<typeof S3ConfigSchema>;

/** Config with defaults applied and the prefix normalised to "" or "a/b/". */
export interface ResolvedS3Config {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  pullConcurrency: number;
  pushConcurrency: number;
  requestTimeoutMs: number;
}

export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "").replace(/\/{2,}/g, "/");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** `SWAMP_S3_REQUEST_TIMEOUT_MS` (1 000-600 000) wins over the config value. */
export function requestTimeoutFrom(env: NodeJS.ProcessEnv, configured: number | undefined): number {
  const raw = env.SWAMP_S3_REQUEST_TIMEOUT_MS?.trim();
  if (raw && /^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1000 && n <= 600_000) return n;
  }
  return configured ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

export function resolveS3Config(config: S3DatastoreConfig, env: NodeJS.ProcessEnv = process.env): ResolvedS3Config {
  const resolved: ResolvedS3Config = {
    bucket: config.bucket,
    prefix: normalizePrefix(config.prefix),
    region: config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    forcePathStyle: config.forcePathStyle ?? false,
    pullConcurrency: config.pullConcurrency ?? DEFAULT_PULL_CONCURRENCY,
    pushConcurrency: config.pushConcurrency ?? DEFAULT_PUSH_CONCURRENCY,
    requestTimeoutMs: requestTimeoutFrom(env, config.requestTimeoutMs),
  };
  if (config.endpoint !== undefined) resolved.endpoint = config.endpoint;
  return resolved;
}

/** `s3://bucket/prefix` (plus the endpoint when one is set): names the remote in messages and state. */
export function remoteLabel(config: ResolvedS3Config): string {
  return `s3://${config.bucket}/${config.prefix}${config.endpoint ? ` at ${config.endpoint}` : ""}`;
}
