// Validates Kubernetes objects offline against the API's schemas (the kubernetes-models
// package: types, required fields, formats, enums of each kind). Reads YAML documents on stdin,
// prints one line per object, exits 1 if any object is invalid or of a kind it does not know.
//   kubectl kustomize deploy/k8s/overlays/staging | node scripts/k8s/validate.mjs
// kubernetes-models does not reject unknown fields; test/unit/k8s-manifests.test.ts asserts
// every field this repo relies on, so a misspelt one fails there.
import { Buffer } from 'node:buffer';
import { parseAllDocuments } from 'yaml';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const documents = parseAllDocuments(Buffer.concat(chunks).toString('utf8'));
let invalid = 0;
for (const document of documents) {
  if (document.errors.length > 0) {
    console.log(`INVALID YAML: ${document.errors[0].message}`);
    invalid++;
    continue;
  }
  const object = document.toJS();
  if (object === null) continue;
  const what = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? '?'}`;
  let Model;
  try {
    // kubernetes-models/<group>/<version>, the core group as kubernetes-models/v1.
    Model = (await import(`kubernetes-models/${object.apiVersion}`))[object.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    console.log(`UNKNOWN ${what}`);
    invalid++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid ${what}`);
  } catch (err) {
    console.log(`INVALID ${what}: ${String(err.message ?? err).split('\n')[0]}`);
    invalid++;
  }
}
process.exit(invalid === 0 && documents.length > 0 ? 0 : 1);
