/**
 * The baseline: the ~30-line express + multer + sharp server a tutorial would write. multer's
 * memory storage buffers every upload whole, nothing bounds concurrency, sharp runs at its
 * defaults. Only for comparison in bench/run.ts; it is not part of the service.
 *   tsx bench/naive-server.ts   -> prints {"port":N} once listening (PORT=4100 to choose)
 */
import express from 'express';
import multer from 'multer';
import sharp from 'sharp';

const app = express();
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 50 * 1024 * 1024 } });

app.post('/resize', upload.single('image'), async (req, res) => {
  const input = req.file?.buffer;
  if (!input) {
    res.status(400).json({ error: 'no file' });
    return;
  }
  const widths = (typeof req.query.widths === 'string' ? req.query.widths : '800')
    .split(',')
    .map(Number);
  const outputs = await Promise.all(
    widths.map((width) =>
      sharp(input)
        .rotate()
        .resize({ width, withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toBuffer(),
    ),
  );
  res.json({ variants: outputs.map((o) => o.length) });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 }));
});
