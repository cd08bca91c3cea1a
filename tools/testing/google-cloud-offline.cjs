// Every test process: Google client libraries must not probe the GCE metadata server for credentials
// (there is none here; the probe only adds seconds of timeouts to each client).
'use strict';
process.env.METADATA_SERVER_DETECTION = 'none';
