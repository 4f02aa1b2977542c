// comlink ships its Node adapter without a .d.mts next to the .mjs; this names its shape for NodeNext resolution.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  // Worker and MessagePort both fit; their exact listener types differ, hence the loose parameter.
  export default function nodeEndpoint(nep: object): Endpoint;
}
