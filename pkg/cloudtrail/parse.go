package cloudtrail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	gzip "github.com/klauspost/compress/gzip"
	"io"
	"strings"
)

// Skip reasons counted in Stats.Skipped.
const (
	SkipDigest     = "digest"             // CloudTrail-Digest files
	SkipValidation = "validation-message" // "CloudTrail validation message." test objects
	SkipInsight    = "insight"            // Insights events (no userIdentity)
	SkipNoIdentity = "no-user-identity"   // other events without a caller
	SkipUnknown    = "not-an-event"       // JSON that is no CloudTrail shape
	SkipMalformed  = "malformed-record"   // an element that is not a valid record
	SkipBadLine    = "malformed-line"     // a JSON Lines line that does not parse
)

// MaxItemBytes bounds one record (or one non-event object) so a hostile file
// cannot make the reader buffer without limit. Real records are a few KB;
// the largest bodies CloudTrail writes stay well below this.
const MaxItemBytes = 32 << 20

// Stats counts what a read saw.
type Stats struct {
	Files   int            `json:"files"`
	Bytes   int64          `json:"bytes"` // bytes after decompression
	Records int64          `json:"records"`
	Skipped map[string]int `json:"skipped,omitempty"`
}

func (s *Stats) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason]++
}

// Add folds o into s.
func (s *Stats) Add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.Records += o.Records
	for k, v := range o.Skipped {
		if s.Skipped == nil {
			s.Skipped = map[string]int{}
		}
		s.Skipped[k] += v
	}
}

var gzipMagic = []byte{0x1f, 0x8b}

// Decompress returns r unchanged or, when it starts with the gzip magic
// bytes, a reader of its decompressed content. File names are not trusted:
// exported logs lose their .gz and S3 objects keep it after decompression.
func Decompress(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("unable to read input: %w", err)
	}
	if !bytes.Equal(head, gzipMagic) {
		return br, func() error { return nil }, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to open gzip stream: %w", err)
	}
	return zr, zr.Close, nil
}

// ReadRecords streams every record in r, whatever its shape, to fn. rec is
// only valid during the call. Memory stays bounded by the largest record,
// not by the input.
func ReadRecords(r io.Reader, fn func(rec *Record) error) (Stats, error) {
	return readRecords(context.Background(), r, false, fn)
}

// readRecords is ReadRecords that also stops when ctx ends (checked every
// few thousand items) and, with ahead set, decompresses on its own
// goroutine ahead of parsing.
func readRecords(ctx context.Context, r io.Reader, ahead bool, fn func(rec *Record) error) (Stats, error) {
	st := Stats{Files: 1}
	dr, closeFn, err := Decompress(r)
	if err != nil {
		return st, err
	}
	stop := func() {}
	if ahead {
		ra := newReadahead(dr)
		dr, stop = ra, ra.Close
	}
	cr := &countingReader{r: dr}
	var rec Record
	n := 0
	err = splitItems(cr, func(item []byte) error {
		switch kind, err := decodeItem(item, &rec); {
		case err != nil:
			st.skip(SkipMalformed)
		case kind != "":
			st.skip(kind)
		default:
			st.Records++
			if err := fn(&rec); err != nil {
				return err
			}
		}
		if n++; n%4096 == 0 {
			return ctx.Err()
		}
		return nil
	}, func(reason string) { st.skip(reason) })
	st.Bytes = cr.n
	stop() // the decompressor must be idle before it is closed
	if cerr := closeFn(); err == nil && cerr != nil {
		err = fmt.Errorf("unable to finish gzip stream: %w", cerr)
	}
	return st, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeItem turns one JSON object into rec. kind is "" for a usable record
// or the skip reason. LookupEvents results are unwrapped here so every
// caller handles every shape.
func decodeItem(item []byte, rec *Record) (kind string, err error) {
	*rec = Record{}
	var lookup []byte
	var digest, insight bool
	err = eachField(item, func(k, v []byte) error {
		switch string(k) {
		case "CloudTrailEvent":
			lookup = v
			return nil
		case "digestStartTime", "digestEndTime", "digestPublicKeyFingerprint", "logFiles":
			digest = true
			return nil
		case "insightDetails":
			insight = true
			return nil
		}
		return rec.setField(k, v)
	})
	if err != nil {
		return "", err
	}
	if lookup != nil {
		s, ok := jsonString(lookup)
		if !ok {
			return "", fmt.Errorf("unable to parse LookupEvents result: CloudTrailEvent is not a string")
		}
		r, err := ParseLookupEvent(s)
		if err != nil {
			return "", err
		}
		*rec = r
		return classify(rec, false, false), nil
	}
	return classify(rec, digest, insight), nil
}

func classify(rec *Record, digest, insight bool) string {
	switch {
	case digest:
		return SkipDigest
	case insight || rec.EventType == "AwsCloudTrailInsight":
		if !rec.hasIdentity {
			return SkipInsight
		}
	case rec.EventName == "" && rec.EventSource == "" && rec.EventTime.IsZero():
		return SkipUnknown
	}
	if !rec.hasIdentity {
		return SkipNoIdentity
	}
	return ""
}

// ParseLookupEvent turns one LookupEvents result's CloudTrailEvent JSON
// string into a Record.
func ParseLookupEvent(cloudTrailEvent string) (Record, error) {
	var r Record
	if err := r.UnmarshalJSON([]byte(cloudTrailEvent)); err != nil {
		return Record{}, fmt.Errorf("unable to parse LookupEvents CloudTrailEvent: %w", err)
	}
	return r, nil
}

// splitItems walks a decompressed stream and calls emit with the raw bytes
// of every candidate event object: elements of "Records"/"Events" arrays,
// elements of bare arrays, and top-level objects (one per line or
// concatenated). item aliases an internal buffer and is valid only during
// the call. skip is called for whole inputs that carry no events and for
// JSON Lines lines that do not parse.
//
// JSON Lines (the first value alone on its line) has a resync point after
// every record, so there a bad line is skipped and counted rather than
// costing every record after it. Other shapes have none: a parse error
// there ends the input.
func splitItems(r io.Reader, emit func(item []byte) error, skip func(reason string)) error {
	s := &stream{r: r, buf: make([]byte, 0, 256<<10), keep: -1}
	var emitErr error
	emitted := 0
	tracked := func(item []byte) error {
		emitted++
		if err := emit(item); err != nil {
			emitErr = err
		}
		return emitErr
	}
	sawValue := false
	// giveUp is set while the input is only guessed to be JSON Lines whose
	// first line is bad; it reports the first line as it was before the
	// guess, for when the second line does not confirm it.
	var giveUp func() error
	for {
		c, err := s.peek()
		if errors.Is(err, io.EOF) {
			if giveUp != nil {
				return giveUp()
			}
			if !sawValue {
				// An empty object is not an error: S3 sometimes holds zero-byte
				// placeholders.
				skip(SkipUnknown)
			}
			return nil
		}
		if err != nil {
			return err
		}
		start := s.abs()
		before := emitted
		notJSON := false
		s.crossed = false
		s.watch = s.lines || !sawValue
		switch c {
		case '{', '[':
			s.inValue = true
			if c == '{' {
				err = s.object(tracked)
			} else {
				err = s.array(tracked)
			}
			s.inValue = false
		default:
			if !sawValue && giveUp == nil && s.looksLikeValidationMessage() {
				skip(SkipValidation)
				return nil
			}
			notJSON = true
			err = fmt.Errorf("unable to parse CloudTrail input at byte %d: not JSON (starts with %q)", start, c)
		}
		switch {
		case err == nil:
			if giveUp != nil {
				skip(SkipBadLine) // the first line, now known to be one bad line
				giveUp = nil
			}
			if !sawValue && !s.crossed && s.lineEndFollows() {
				s.lines = true
			}
			sawValue = true
		case emitErr != nil || s.readErr != nil:
			return err
		case giveUp != nil:
			return giveUp()
		case s.lines:
			skip(SkipBadLine)
			if err := s.skipLine(); err != nil {
				return err
			}
		case !sawValue && (notJSON || s.crossed) && emitted == before && start >= s.consumed:
			// The first value is not JSON or ran past its line: either the
			// input is not JSON Lines, or its first line is bad. The second
			// line decides; nothing was emitted, so nothing is seen twice.
			if notJSON {
				giveUp = func() error {
					// Not JSON at all: a README, a stray manifest. Counted and
					// reported, not an error.
					skip(SkipUnknown)
					return nil
				}
			} else {
				first := err
				giveUp = func() error { return first }
			}
			s.pos = int(start - s.consumed)
			s.lines = true
			if err := s.skipLine(); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// stream is a growable window over a reader. buf[pos:] is unread; bytes
// before keep (when >= 0) are still needed and survive compaction.
type stream struct {
	r        io.Reader
	buf      []byte
	pos      int
	keep     int
	eof      bool
	consumed int64 // bytes dropped from the front of buf so far
	readErr  error // the reader failed: no resync can get past this

	// Newline tracking, for JSON Lines. watch turns it on (only the first
	// value and JSON Lines need it); inValue is set inside a top-level
	// value. In lines mode a newline inside a value is a parse error, so a
	// bad line never swallows the next; otherwise it sets crossed.
	watch   bool
	inValue bool
	lines   bool
	crossed bool
}

func (s *stream) abs() int64 { return s.consumed + int64(s.pos) }

// checkLine notes a newline in b, part of the current value.
func (s *stream) checkLine(b []byte) error {
	if !s.watch || !s.inValue || (s.crossed && !s.lines) || bytes.IndexByte(b, '\n') < 0 {
		return nil
	}
	if s.lines {
		return s.lineEnds()
	}
	s.crossed = true
	return nil
}

func (s *stream) lineEnds() error {
	return fmt.Errorf("unable to parse CloudTrail input near byte %d: the line ends inside a value", s.abs())
}

// lineEndFollows reports whether only blanks separate the current position
// from the next newline.
func (s *stream) lineEndFollows() bool {
	for k := 0; ; k++ {
		for s.pos+k >= len(s.buf) {
			if s.fill() != nil {
				return false
			}
		}
		switch s.buf[s.pos+k] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
}

// skipLine drops input up to and including the next newline.
func (s *stream) skipLine() error {
	s.keep = -1
	for {
		if i := bytes.IndexByte(s.buf[s.pos:], '\n'); i >= 0 {
			s.pos += i + 1
			return nil
		}
		s.pos = len(s.buf)
		if err := s.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// fill reads more input, compacting or growing the buffer.
func (s *stream) fill() error {
	if s.readErr != nil {
		return s.readErr
	}
	if s.eof {
		return io.EOF
	}
	from := s.pos
	if s.keep >= 0 && s.keep < from {
		from = s.keep
	}
	if from > 0 && (len(s.buf) == cap(s.buf) || from > cap(s.buf)/2) {
		n := copy(s.buf, s.buf[from:])
		s.buf = s.buf[:n]
		s.pos -= from
		if s.keep >= 0 {
			s.keep -= from
		}
		s.consumed += int64(from)
	}
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= MaxItemBytes+(256<<10) {
			s.readErr = fmt.Errorf("unable to parse CloudTrail input: one value is larger than %d MiB", MaxItemBytes>>20)
			return s.readErr
		}
		nb := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if errors.Is(err, io.EOF) {
		s.eof = true
		if n == 0 {
			return io.EOF
		}
		return nil
	}
	if err != nil {
		s.readErr = fmt.Errorf("unable to read CloudTrail input: %w", err)
		return s.readErr
	}
	return nil
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *stream) peek() (byte, error) {
	for {
		if s.watch && s.inValue && (s.lines || !s.crossed) {
			for ; s.pos < len(s.buf) && isSpace(s.buf[s.pos]); s.pos++ {
				if s.buf[s.pos] != '\n' {
					continue
				}
				if s.lines {
					return 0, s.lineEnds()
				}
				s.crossed = true
			}
		} else {
			s.pos = skipSpace(s.buf, s.pos)
		}
		if s.pos < len(s.buf) {
			return s.buf[s.pos], nil
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

func (s *stream) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return s.eofErr(err)
	}
	if got != c {
		return fmt.Errorf("unable to parse CloudTrail input at byte %d: want %q, got %q", s.consumed+int64(s.pos), c, got)
	}
	s.pos++
	return nil
}

func (s *stream) eofErr(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("unable to parse CloudTrail input: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// value returns the raw bytes of the next complete JSON value.
func (s *stream) value() ([]byte, error) {
	if _, err := s.peek(); err != nil {
		return nil, s.eofErr(err)
	}
	for {
		end, err := skipValue(s.buf, s.pos)
		if err == nil {
			v := s.buf[s.pos:end]
			if err := s.checkLine(v); err != nil {
				return nil, err
			}
			s.pos = end
			return v, nil
		}
		if !errors.Is(err, errIncomplete) {
			if lerr := s.checkLine(s.buf[s.pos:min(end+1, len(s.buf))]); lerr != nil {
				return nil, lerr
			}
			return nil, fmt.Errorf("unable to parse CloudTrail input near byte %d: %w", s.consumed+int64(s.pos), err)
		}
		// In lines mode the value cannot go on past this line: stop before
		// it swallows the next record.
		if s.lines && s.watch && s.inValue && bytes.IndexByte(s.buf[s.pos:], '\n') >= 0 {
			return nil, s.lineEnds()
		}
		// skipValue restarts from the value's beginning; fill keeps it.
		if ferr := s.fill(); ferr != nil {
			if errors.Is(ferr, io.EOF) {
				if end == len(s.buf) && end > s.pos && isNumberByte(s.buf[s.pos]) {
					v := s.buf[s.pos:end]
					s.pos = end
					return v, nil
				}
				if lerr := s.checkLine(s.buf[s.pos:]); lerr != nil {
					return nil, lerr
				}
				return nil, s.eofErr(ferr)
			}
			return nil, ferr
		}
	}
}

func isNumberByte(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// array streams the elements of an array; objects are emitted, anything
// else (strings, numbers) is not an event and is skipped.
func (s *stream) array(emit func([]byte) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	c, err := s.peek()
	if err != nil {
		return s.eofErr(err)
	}
	if c == ']' {
		s.pos++
		return nil
	}
	for {
		v, err := s.value()
		if err != nil {
			return err
		}
		if len(v) > 0 && v[0] == '{' {
			if err := emit(v); err != nil {
				return err
			}
		}
		c, err := s.peek()
		if err != nil {
			return s.eofErr(err)
		}
		s.pos++
		switch c {
		case ',':
		case ']':
			return nil
		default:
			return fmt.Errorf("unable to parse CloudTrail input at byte %d: want ',' or ']', got %q", s.consumed+int64(s.pos-1), c)
		}
	}
}

// object handles a top-level object: a {"Records":[...]} or {"Events":[...]}
// envelope is streamed element by element; any other object is one item.
func (s *stream) object(emit func([]byte) error) error {
	start := s.pos
	s.keep = start
	defer func() { s.keep = -1 }()
	if err := s.expect('{'); err != nil {
		return err
	}
	envelope := false
	c, err := s.peek()
	if err != nil {
		return s.eofErr(err)
	}
	if c == '}' {
		s.pos++
		return nil
	}
	for {
		kv, err := s.value()
		if err != nil {
			return err
		}
		key, ok := jsonString(kv)
		if !ok {
			return fmt.Errorf("unable to parse CloudTrail input near byte %d: object key is not a string", s.consumed+int64(s.pos))
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return s.eofErr(err)
		}
		if (key == "Records" || key == "Events") && c == '[' {
			envelope = true
			s.keep = -1 // the envelope's head is no longer needed
			if err := s.array(emit); err != nil {
				return err
			}
		} else if _, err := s.value(); err != nil {
			return err
		}
		c, err = s.peek()
		if err != nil {
			return s.eofErr(err)
		}
		s.pos++
		switch c {
		case ',':
			continue
		case '}':
		default:
			return fmt.Errorf("unable to parse CloudTrail input at byte %d: want ',' or '}', got %q", s.consumed+int64(s.pos-1), c)
		}
		break
	}
	if envelope {
		return nil
	}
	// keep pinned start, so the whole object is still in buf.
	return emit(s.buf[s.keep:s.pos])
}

// looksLikeValidationMessage recognises the plain-text object CloudTrail
// writes when it checks it can deliver to a bucket.
func (s *stream) looksLikeValidationMessage() bool {
	for len(s.buf)-s.pos < 64 && !s.eof {
		if s.fill() != nil {
			break
		}
	}
	rest := s.buf[s.pos:]
	return strings.HasPrefix(strings.TrimSpace(string(rest[:min(len(rest), 64)])), "CloudTrail validation message")
}
