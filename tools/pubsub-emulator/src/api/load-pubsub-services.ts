import { GrpcObject, loadPackageDefinition, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';

export interface PubSubServiceDefinitions {
  readonly publisher: ServiceClientConstructor['service'];
  readonly subscriber: ServiceClientConstructor['service'];
}

/** Parsing the protos takes a noticeable moment; tests that start several emulators parse them once. */
let loaded: PubSubServiceDefinitions | undefined;

/**
 * Loads google.pubsub.v1 from the .proto files the client library ships, so the emulator speaks exactly
 * the API version of the installed client. Their google/api and google/protobuf imports resolve from
 * google-gax, which the client depends on.
 */
export function loadPubSubServices(): PubSubServiceDefinitions {
  loaded ??= loadFromClientLibrary();
  return loaded;
}

function loadFromClientLibrary(): PubSubServiceDefinitions {
  const pubsubRoot = packageRoot('@google-cloud/pubsub', [__dirname]);
  const gaxRoot = packageRoot('google-gax', [pubsubRoot]);
  const definition = loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: [path.join(pubsubRoot, 'build/protos'), path.join(gaxRoot, 'build/protos')],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const google = loadPackageDefinition(definition).google as GrpcObject;
  const v1 = (google.pubsub as GrpcObject).v1 as GrpcObject;
  return {
    publisher: (v1.Publisher as ServiceClientConstructor).service,
    subscriber: (v1.Subscriber as ServiceClientConstructor).service,
  };
}

/** The directory of an installed package (found via its entry point: google-gax does not export package.json). */
function packageRoot(name: string, from: string[]): string {
  const entry = require.resolve(name, { paths: from });
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`Cannot locate the ${name} package directory from ${entry}`);
  return entry.slice(0, at + marker.length - 1);
}
