#!/usr/bin/env python3
"""Regenerates the image test files in this folder (provenance only: the
files are committed and nothing in the build or CI runs this).

Needs ImageMagick 6 (/usr/bin/convert), cwebp (Debian: webp) and heif-enc
(Debian: libheif-examples).  Everything else is built here byte by byte
with struct/zlib/zipfile.  Output is deterministic except for what the
external encoders put in.
"""
import os, random, struct, subprocess, zipfile, zlib, io

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERT = '/usr/bin/convert'   # not a PATH stand-in


def out(name):
    return os.path.join(HERE, name)


def run(*args):
    subprocess.run(args, check=True)


def write(name, data):
    with open(out(name), 'wb') as f:
        f.write(data)


def read(name):
    with open(out(name), 'rb') as f:
        return f.read()


# ---------------------------------------------------------------- encoders
def with_encoders():
    run(CONVERT, '-size', '1920x1080', 'xc:#3366cc', 'png8:' + out('png-1920x1080.png'))
    run(CONVERT, '-size', '120x40', 'xc:white', '-fill', 'red', '-draw',
        'rectangle 10,10 60,30', 'png8:' + out('png-logo-120x40.png'))
    run(CONVERT, '-size', '1x1', 'xc:white', 'gif:' + out('gif-1x1.gif'))
    run(CONVERT, '-size', '1024x600', 'xc:#aabbcc', 'gif:' + out('gif-1024x600.gif'))
    # BMP: OS/2 core header (12), BITMAPINFOHEADER (40), V5 (124).
    run(CONVERT, '-size', '300x150', 'xc:white', '-monochrome', 'bmp2:' + out('bmp-core-300x150.bmp'))
    run(CONVERT, '-size', '301x151', 'xc:white', '-monochrome', 'bmp3:' + out('bmp-info-301x151.bmp'))
    run(CONVERT, '-size', '302x152', 'xc:white', '-monochrome', 'bmp:' + out('bmp-v5-302x152.bmp'))
    run(CONVERT, '-size', '640x480', 'xc:gray', '-fill', 'blue', '-draw',
        'circle 100,100 150,150', '-quality', '80', 'jpg:' + out('jpeg-baseline-640x480.jpg'))
    run(CONVERT, '-size', '800x600', 'xc:gray', '-fill', 'red', '-draw',
        'circle 100,100 150,150', '-interlace', 'JPEG', '-quality', '80',
        'jpg:' + out('jpeg-progressive-800x600.jpg'))
    tmp = out('tmp-src.png')
    run(CONVERT, '-size', '300x200', 'xc:orange', '-fill', 'blue', '-draw',
        'rectangle 1,1 50,50', 'png:' + tmp)
    run('cwebp', '-quiet', '-q', '50', tmp, '-o', out('webp-lossy-300x200.webp'))
    run('cwebp', '-quiet', '-lossless', tmp, '-o', out('webp-lossless-300x200.webp'))
    run(CONVERT, '-size', '333x222', 'xc:#ff000080', 'png:' + tmp)
    run('cwebp', '-quiet', '-q', '50', '-exact', tmp, '-o', out('webp-extended-333x222.webp'))
    run(CONVERT, '-size', '257x131', 'xc:purple', '-compress', 'lzw', '-define',
        'tiff:endian=lsb', 'tiff:' + out('tiff-ii-257x131.tif'))
    run(CONVERT, '-size', '258x132', 'xc:purple', '-compress', 'lzw', '-define',
        'tiff:endian=msb', 'tiff:' + out('tiff-mm-258x132.tif'))
    # Uncompressed: ImageMagick writes IFD 0 after the strips, i.e. beyond
    # the 4 KiB window, so the reader has to skip ahead to it.
    run(CONVERT, '-size', '100x50', 'xc:navy', '-depth', '8', '-type', 'TrueColor',
        '-compress', 'none', 'tiff:' + out('tiff-far-ifd-100x50.tif'))
    run(CONVERT, '-size', '320x240', 'gradient:red-blue', '-type', 'TrueColor', 'png24:' + tmp)
    run('heif-enc', '-q', '20', '-o', out('heic-320x240.heic'), tmp)
    run('heif-enc', '-A', '-q', '20', '-o', out('avif-320x240.avif'), tmp)
    os.unlink(tmp)


# ---------------------------------------------------------------- by hand
def png_chunk(typ, data):
    return struct.pack('>I', len(data)) + typ + data + struct.pack('>I', zlib.crc32(typ + data))


def apng(w, h):
    """A two-frame APNG: IHDR, acTL, fcTL, IDAT, fcTL, fdAT, IEND."""
    raw = b''.join(b'\0' + b'\x80\x20\x20' * w for _ in range(h))
    z = zlib.compress(raw)
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    fctl0 = struct.pack('>IIIIIHHBB', 0, w, h, 0, 0, 1, 10, 0, 0)
    fctl1 = struct.pack('>IIIIIHHBB', 1, w, h, 0, 0, 1, 10, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) +
            png_chunk(b'acTL', struct.pack('>II', 2, 0)) + png_chunk(b'fcTL', fctl0) +
            png_chunk(b'IDAT', z) + png_chunk(b'fcTL', fctl1) +
            png_chunk(b'fdAT', struct.pack('>I', 2) + z) + png_chunk(b'IEND', b''))


def bmp_topdown(w, h):
    """BITMAPINFOHEADER, 24 bpp, negative height (rows stored top-down)."""
    stride = (w * 3 + 3) & ~3
    pixels = b''.join(bytes([0, 0, 255]) * w + b'\0' * (stride - w * 3) for _ in range(h))
    dib = struct.pack('<IiiHHIIiiII', 40, w, -h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    head = struct.pack('<2sIHHI', b'BM', 14 + len(dib) + len(pixels), 0, 0, 14 + len(dib))
    return head + dib + pixels


def jpeg_segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack('>H', len(payload) + 2) + payload


def jpeg_big_app(base):
    """base with, after SOI: an Exif APP1 whose embedded thumbnail is a
    complete small JPEG (with its own SOF 160x120, to be skipped), ~200 KB
    of ICC-style APP2 segments, a COM, and fill bytes before the next
    marker."""
    assert base[:2] == b'\xff\xd8'
    thumb = (b'\xff\xd8' + jpeg_segment(0xC0, struct.pack('>BHHB', 8, 120, 160, 1) + b'\x01\x11\x00') +
             b'\xff\xd9')
    app1 = jpeg_segment(0xE1, b'Exif\0\0' + b'MM\0*\0\0\0\x08' + b'\0' * 32 + thumb)
    apps = b''
    for i in range(4):
        body = b'ICC_PROFILE\0' + bytes([i + 1, 4]) + bytes((j * 7 + i) & 0xFF for j in range(50000))
        apps += jpeg_segment(0xE2, body)
    com = jpeg_segment(0xFE, b'\xff\xc0 not a frame header')
    return base[:2] + app1 + apps + com + b'\xff\xff\xff' + base[2:]


def box(typ, payload):
    return struct.pack('>I', 8 + len(payload)) + typ + payload


def fullbox(typ, version, flags, payload):
    return box(typ, struct.pack('>I', version << 24 | flags) + payload)


def heif_primary_not_largest():
    """HEIF whose primary item (2) has an 800x600 ispe while another item
    has a larger one; ipma before ... (ipco, ipma) in iprp; mdat with a
    64-bit largesize before meta."""
    ftyp = box(b'ftyp', b'heic' + b'\0\0\0\0' + b'mif1heic')
    mdat = struct.pack('>I', 1) + b'mdat' + struct.pack('>Q', 16 + 4000) + b'\0' * 4000
    hdlr = fullbox(b'hdlr', 0, 0, b'\0\0\0\0pict' + b'\0' * 12 + b'\0')
    pitm = fullbox(b'pitm', 0, 0, struct.pack('>H', 2))
    ipco = box(b'ipco',
               fullbox(b'ispe', 0, 0, struct.pack('>II', 1024, 1024)) +  # 1: item 1 (big)
               box(b'colr', b'nclx' + b'\0' * 7) +                       # 2
               fullbox(b'ispe', 0, 0, struct.pack('>II', 160, 120)) +    # 3: item 3 (thumb)
               fullbox(b'ispe', 0, 0, struct.pack('>II', 800, 600)))     # 4: item 2 (primary)
    ipma = fullbox(b'ipma', 0, 0, struct.pack('>I', 3) +
                   struct.pack('>HB', 1, 2) + bytes([0x81, 0x02]) +
                   struct.pack('>HB', 2, 2) + bytes([0x82, 0x84]) +
                   struct.pack('>HB', 3, 1) + bytes([0x83]))
    meta = fullbox(b'meta', 0, 0, hdlr + pitm + box(b'iprp', ipco + ipma))
    return ftyp + mdat + meta


def fake_pe():
    """MZ stub + PE header of a tiny i386 GUI executable (not runnable)."""
    mz = bytearray(128)
    mz[0:2] = b'MZ'
    struct.pack_into('<H', mz, 2, 0x90)
    struct.pack_into('<H', mz, 4, 3)
    struct.pack_into('<H', mz, 8, 4)
    struct.pack_into('<H', mz, 0x18, 0x40)
    struct.pack_into('<I', mz, 0x3C, 0x80)
    mz[0x40:0x40 + 39] = b'This program cannot be run in DOS mode.'
    coff = struct.pack('<4sHHIIIHH', b'PE\0\0', 0x14C, 1, 0, 0, 0, 0xE0, 0x0102)
    opt = bytearray(0xE0)
    struct.pack_into('<HBB', opt, 0, 0x10B, 14, 0)
    struct.pack_into('<I', opt, 16, 0x1000)     # entry point
    struct.pack_into('<I', opt, 28, 0x400000)   # image base
    struct.pack_into('<II', opt, 32, 0x1000, 0x200)
    struct.pack_into('<HH', opt, 40, 6, 0)
    struct.pack_into('<I', opt, 56, 0x2000)     # size of image
    struct.pack_into('<I', opt, 60, 0x200)      # size of headers
    struct.pack_into('<H', opt, 68, 2)          # subsystem: GUI
    struct.pack_into('<I', opt, 92, 16)
    sect = struct.pack('<8sIIIIIIHHI', b'.text', 0x10, 0x1000, 0x200, 0x200, 0, 0, 0, 0, 0x60000020)
    hdr = bytes(mz) + coff + bytes(opt) + sect
    hdr += b'\0' * (0x200 - len(hdr))
    return hdr + b'\xc3' + b'\0' * 0x1FF


def zip_named_png():
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo('screenshot.png', (2024, 1, 1, 0, 0, 0)), b'not really an image\n' * 50)
        z.writestr(zipfile.ZipInfo('readme.txt', (2024, 1, 1, 0, 0, 0)), b'hello\n')
    return b.getvalue()


def minimal_docx():
    b = io.BytesIO()
    ct = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          b'<Default Extension="xml" ContentType="application/xml"/>'
          b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
          b'officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    doc = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           b'<w:body><w:p><w:r><w:t>Vejledning</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in (('[Content_Types].xml', ct), ('_rels/.rels', rels),
                           ('word/document.xml', doc)):
            z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
    return b.getvalue()


def minimal_pdf():
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>']
    body = b'%PDF-1.4\n'
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(body))
        body += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    xref = len(body)
    body += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for o in offs:
        body += b'%010d 00000 n \n' % o
    body += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    return body


def ole_header():
    """A Compound File Binary header and one empty sector (no directory)."""
    h = bytearray(512)
    h[0:8] = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
    struct.pack_into('<HHHHH', h, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into('<I', h, 44, 1)           # FAT sectors
    struct.pack_into('<I', h, 48, 0xFFFFFFFE)  # first directory sector: none
    struct.pack_into('<I', h, 56, 4096)
    struct.pack_into('<I', h, 60, 0xFFFFFFFE)
    struct.pack_into('<I', h, 68, 0xFFFFFFFE)
    for i in range(109):
        struct.pack_into('<I', h, 76 + 4 * i, 0xFFFFFFFF)
    struct.pack_into('<I', h, 76, 0)
    fat = bytearray(b'\xff' * 512)
    struct.pack_into('<I', fat, 0, 0xFFFFFFFD)
    return bytes(h) + bytes(fat)


def by_hand():
    write('apng-64x48.png', apng(64, 48))
    write('bmp-topdown-40x20.bmp', bmp_topdown(40, 20))
    write('jpeg-bigapp-640x480.jpg', jpeg_big_app(read('jpeg-baseline-640x480.jpg')))
    write('heif-primary-800x600.heic', heif_primary_not_largest())
    write('notpng-zip.png', zip_named_png())
    write('notpng-pe.png', fake_pe())
    write('doc-minimal.docx', minimal_docx())
    write('doc-minimal.pdf', minimal_pdf())
    write('doc-ole.doc', ole_header())
    write('text-notes.txt', 'Logget ind som: admin\nVagtplan virker ikke.\n'.encode())
    rnd = random.Random(20241127)
    write('garbage.bin', bytes(rnd.randrange(256) for _ in range(4096)))
    # Cut inside the header: the readers must say "unknown".
    write('trunc-png.png', read('png-1920x1080.png')[:20])
    write('trunc-gif.gif', read('gif-1024x600.gif')[:9])
    write('trunc-jpeg-bigapp.jpg', read('jpeg-bigapp-640x480.jpg')[:3000])
    write('trunc-webp.webp', read('webp-lossy-300x200.webp')[:28])
    write('trunc-tiff.tif', read('tiff-far-ifd-100x50.tif')[:1000])
    write('trunc-heic.heic', read('heic-320x240.heic')[:300])


if __name__ == '__main__':
    with_encoders()
    by_hand()
