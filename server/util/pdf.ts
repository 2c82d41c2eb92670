import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type PDFDocumentClass from 'pdfkit';
import { lazyRequire } from './lazy.js';

/**
 * PDF documents with the embedded DejaVu fonts (Kazakh letters ә ғ қ ң ө ұ ү һ і; no system fonts),
 * the approach of the acceptance act (server/deposits/act.ts), shared by the printed documents.
 * With a fixed date the same content gives the same bytes.
 */
const require = createRequire(import.meta.url);
const pdfkit = lazyRequire<typeof PDFDocumentClass>('pdfkit');
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const PDF_FONTS = { body: join(FONT_DIR, 'DejaVuSans.ttf'), bold: join(FONT_DIR, 'DejaVuSans-Bold.ttf'), mono: join(FONT_DIR, 'DejaVuSansMono.ttf') };

export interface PdfOptions {
  title: string;
  subject?: string;
  /** The document's date: its creation and modification date (fixed, for identical bytes). */
  date: Date;
  layout?: 'portrait' | 'landscape';
  margin?: number;
}

/** An A4 document with the fonts registered as `body`, `bold` and `mono`. */
export function createPdf(o: PdfOptions): PDFKit.PDFDocument {
  const PDFDocument = pdfkit();
  const doc = new PDFDocument({
    size: 'A4',
    layout: o.layout ?? 'portrait',
    margin: o.margin ?? 48,
    compress: true,
    bufferPages: true,
    info: { Title: o.title, Author: 'Qoima', Subject: o.subject ?? o.title, CreationDate: o.date, ModDate: o.date },
  });
  // Not the constructor's `font` option: pdfkit then knows DejaVu Sans by its path and by its name, and
  // never caches it under `body` — every doc.font('body') would parse the font file again (seconds
  // for a report with many table cells).
  doc.registerFont('body', PDF_FONTS.body);
  doc.registerFont('bold', PDF_FONTS.bold);
  doc.registerFont('mono', PDF_FONTS.mono);
  return doc.font('body');
}

/** The whole document as one buffer (for attachments and hashing). */
export function pdfBuffer(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}
