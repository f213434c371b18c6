package csvintake

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/unicode"
)

// Encodings Parse reports.
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8 with BOM"
	EncUTF16LE = "utf-16le"
	EncUTF16BE = "utf-16be"
	EncEUCKR   = "cp949"
)

// decode returns b as UTF-8. Spreadsheet exports are the reason for each
// branch: Excel's "Unicode text" is UTF-16 LE with a BOM, its "CSV UTF-8"
// starts with a UTF-8 BOM, and Korean Windows Excel saves plain "CSV" in
// CP949. UTF-16 without a BOM is recognised by its NUL bytes, which no
// text CSV contains otherwise.
func decode(b []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:], EncUTF8BOM, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b, unicode.LittleEndian, EncUTF16LE)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b, unicode.BigEndian, EncUTF16BE)
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[3] == 0:
		return decodeUTF16(b, unicode.LittleEndian, EncUTF16LE)
	case len(b) >= 4 && b[0] == 0 && b[2] == 0 && b[1] != 0:
		return decodeUTF16(b, unicode.BigEndian, EncUTF16BE)
	case utf8.Valid(b):
		return b, EncUTF8, nil
	}
	// x/text's EUC-KR is Microsoft's CP949 superset, which is what Excel
	// writes. If that does not fit either, invalid bytes become U+FFFD and
	// the affected cells are rejected row by row rather than the file.
	out, err := korean.EUCKR.NewDecoder().Bytes(b)
	if err == nil && utf8.Valid(out) && !bytes.ContainsRune(out, utf8.RuneError) {
		return out, EncEUCKR, nil
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD")), EncUTF8, nil
}

func decodeUTF16(b []byte, order unicode.Endianness, name string) ([]byte, string, error) {
	// UseBOM strips a BOM matching either order and falls back to order.
	out, err := unicode.UTF16(order, unicode.UseBOM).NewDecoder().Bytes(b)
	if err != nil {
		return nil, name, fmt.Errorf("unable to decode %s: %w", name, err)
	}
	return out, name, nil
}
