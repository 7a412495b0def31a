/**
 * Health check for `datastore status` and setup: one HeadBucket. Never throws — an
 * unreachable bucket is an unhealthy result whose message says why and what to do.
 */
import type { DatastoreHealthResult, DatastoreVerifier } from "../../kernel/contract/ports/datastore.js";
import type { S3Transport } from "./client.js";
import { S3_DATASTORE_TYPE } from "./config.js";
import { monotonicMs } from "../../kernel/runtime/clock.js";

export class S3Verifier implements DatastoreVerifier {
  constructor(private readonly transport: S3Transport) {}

  async verify(): Promise<DatastoreHealthResult> {
    const { bucket, prefix, region, endpoint } = this.transport.config;
    const details: Record<string, string> = { bucket, region };
    if (prefix) details.prefix = prefix;
    if (endpoint) details.endpoint = endpoint;
    const started = monotonicMs();
    try {
      await this.transport.headBucket();
      return {
        healthy: true,
        message: `S3 bucket '${bucket}' is accessible`,
        latencyMs: monotonicMs() - started,
        datastoreType: S3_DATASTORE_TYPE,
        details,
      };
    } catch (err) {
      return {
        healthy: false,
        message: err instanceof Error ? err.message : String(err),
        latencyMs: monotonicMs() - started,
        datastoreType: S3_DATASTORE_TYPE,
        details,
      };
    }
  }
}
