/** `count` concurrent uploads of distinct 12 MP JPEGs (3 variants each). Used by bench scripts. */
import { jpeg, withComment } from '../test/support/images';

async function main() {
  const [url = 'http://127.0.0.1:3000', countText = '16', tag = String(Date.now())] =
    process.argv.slice(2);
  const photo = await jpeg(4000, 3000);
  const statuses = await Promise.all(
    Array.from({ length: Number(countText) }, (_, i) =>
      fetch(`${url}/v1/images?widths=320,640,1280`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: withComment(photo, `${tag} ${i}`),
      }).then((r) => r.status),
    ),
  );
  process.stdout.write(`${JSON.stringify(statuses)}\n`);
  if (statuses.some((s) => s !== 201)) process.exit(1);
}

void main();
