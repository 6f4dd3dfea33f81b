// Streams' release bundle only defines `window.connect`; app/top_bar/softphone/streams.ts types the part it uses.
declare module 'amazon-connect-streams/release/connect-streams-min.js';
