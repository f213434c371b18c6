// Package csvintake turns a list of accused resources — the CSV of IP
// addresses, instance ids or ARNs with times and log excerpts that AWS or a
// complainant sends with an outbound-abuse report — into one case: rows
// grouped per resource, each distinct resource looked up once in the
// affected account, and one report for the whole batch.
package csvintake

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/abusedesk/abusedesk/pkg/redact"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// Limits on what one file may hold. MaxBytes bounds memory (the whole file
// is read, decoded and kept); MaxRows bounds the work per import.
const (
	MaxBytes   = 32 << 20
	MaxRows    = 200_000
	maxDetails = 1000 // runes of a log excerpt kept per row
	maxCellMsg = 60   // runes of a bad cell quoted in a reason
	maxHeadRow = 5    // records searched for a header before data starts
)

// Row is one usable line of the file.
type Row struct {
	Line        int       `json:"line"`
	Resource    Resource  `json:"resource"`
	Time        time.Time `json:"time,omitzero"`
	Destination string    `json:"destination,omitempty"`
	Port        int       `json:"port,omitempty"`
	Protocol    string    `json:"protocol,omitempty"`
	Details     string    `json:"details,omitempty"`
}

// Problem is a line the parser rejected or only partly understood.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	// Kind is ProblemQuote for an unbalanced quote, else empty.
	Kind string `json:"kind,omitempty"`
}

// ProblemQuote marks the note on an unbalanced quote, which callers show
// prominently: it changes how the lines after it were read.
const ProblemQuote = "unbalanced-quote"

// Parsed is the outcome of Parse: usable rows, rejected lines, and notes
// on rows kept without an unreadable optional cell (a time, a port).
type Parsed struct {
	Encoding  string    `json:"encoding"`
	Separator string    `json:"separator"`
	Header    []string  `json:"header,omitempty"` // recognised role per column, "" for ignored ones
	Rows      []Row     `json:"-"`
	Rejected  []Problem `json:"rejected,omitempty"`
	Notes     []Problem `json:"notes,omitempty"`
	Records   int       `json:"records"`
	Truncated bool      `json:"truncated,omitempty"`
}

// Column roles.
type role int

const (
	roleNone role = iota
	roleResource
	roleTime
	roleDest
	rolePort
	roleProto
	roleDetails
)

var roleNames = [...]string{"", "resource", "time", "destination", "port", "protocol", "details"}

// headerNames maps a normalised header (see normHeader) to its role and a
// rank: when two columns claim a role, the lower rank wins, so "Source IP"
// beats "Resource" beats a generic "Source".
var headerNames = map[string]struct {
	role role
	rank int
}{}

func init() {
	add := func(r role, rank int, names ...string) {
		for _, n := range names {
			headerNames[n] = struct {
				role role
				rank int
			}{r, rank}
		}
	}
	add(roleResource, 0, "sourceip", "srcip", "sourceipaddress", "sourceaddress", "srcaddr", "offendingip", "abusiveip",
		"reportedip", "attackerip", "attackip", "출발지ip", "출발지주소", "출발지ip주소", "소스ip", "공격ip", "공격자ip", "신고ip", "신고대상ip")
	add(roleResource, 1, "ip", "ipaddress", "ipaddr", "ips", "address", "publicip", "publicipaddress", "host", "ip주소",
		"아이피", "아이피주소", "공인ip", "공인ip주소", "주소")
	add(roleResource, 2, "source", "src", "출발지", "소스")
	add(roleResource, 3, "resource", "resourceid", "resourcearn", "arn", "instanceid", "instance", "인스턴스",
		"인스턴스id", "리소스", "리소스id", "리소스arn")
	add(roleTime, 0, "timestamp", "time", "datetime", "eventtime", "timeutc", "occurred", "detected", "reported",
		"reportedat", "시간", "일시", "시각", "발생시간", "발생일시", "발생시각", "탐지시간", "탐지일시", "타임스탬프")
	add(roleTime, 1, "date", "날짜", "일자")
	add(roleTime, 2, "firstseen", "start", "starttime", "시작시간")
	add(roleDest, 0, "destination", "destinationip", "destinationaddress", "dest", "destip", "dst", "dstip",
		"target", "targetip", "victim", "victimip", "목적지", "목적지ip", "목적지주소", "대상", "대상ip", "피해ip")
	add(rolePort, 0, "port", "dstport", "destinationport", "dport", "destport", "targetport", "포트", "목적지포트", "대상포트", "포트번호")
	add(roleProto, 0, "protocol", "proto", "프로토콜")
	add(roleDetails, 0, "details", "detail", "log", "logs", "logexcerpt", "logline", "excerpt", "evidence", "message",
		"msg", "내용", "로그", "상세", "상세내용", "증거")
	add(roleDetails, 1, "description", "comment", "comments", "notes", "note", "info", "비고", "설명")
}

var parenRE = regexp.MustCompile(`[(\[（][^)\]）]*[)\]）]`)

// normHeader lower-cases a header and drops units in brackets, spaces and
// punctuation: "Source IP (v4/v6)" and "source_ip" both become "sourceip",
// "IP 주소" becomes "ip주소".
func normHeader(s string) string {
	s = parenRE.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "")
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '_', '-', '.', '/', ':', '"', '\'', '#', '\u00a0', '\u3000':
			return -1
		}
		return r
	}, s)
}

// Parse reads a resource list. It fails only when b is not text at all;
// every unusable line is a Problem and the rest proceed.
func Parse(b []byte) (*Parsed, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("unable to parse list: %d bytes, limit %d", len(b), MaxBytes)
	}
	text, enc, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("unable to parse list: %w", err)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, errors.New("unable to parse list: the file is empty")
	}
	sep := sniff(text)
	ps := &parser{p: &Parsed{Encoding: enc, Separator: sepName(sep)}, sep: sep, text: text, starts: lineStarts(text)}
	// A quote someone forgot to close makes encoding/csv (lazy or not)
	// read every following line into one cell, so the rows after it would
	// vanish without a word. Each split re-reads the swallowed record on
	// its own and the rest of the file from the first line that looks
	// like a row.
	from := 1
	for {
		split, err := ps.read(from, len(ps.starts)+1, true)
		if err != nil {
			return nil, fmt.Errorf("unable to parse list: %w", err)
		}
		if split.at == 0 {
			break
		}
		if _, err := ps.read(split.record, split.at, false); err != nil {
			return nil, fmt.Errorf("unable to parse list: %w", err)
		}
		from = split.at
	}
	return ps.p, nil
}

// parser is the state of one Parse across the segments it reads.
type parser struct {
	p        *Parsed
	sep      rune
	text     []byte
	starts   []int  // byte offset of each line; line n starts at starts[n-1]
	cols     []role // nil until a header is found
	colNames []string
	dataSeen bool
	done     bool // MaxRows reached
}

// split says where an unbalanced quote cut the file: the record that
// opened it starts on line record, and the first swallowed line that
// looks like a row is line at (0: no split).
type split struct{ record, at int }

func lineStarts(text []byte) []int {
	starts := []int{0}
	for i, c := range text {
		if c == '\n' && i+1 < len(text) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// line returns line n of the text without its line break.
func (ps *parser) line(n int) string {
	if n < 1 || n > len(ps.starts) {
		return ""
	}
	end := len(ps.text)
	if n < len(ps.starts) {
		end = ps.starts[n]
	}
	return strings.TrimRight(string(ps.text[ps.starts[n-1]:end]), "\r\n")
}

// read parses lines [from, to). With check set it stops before a record
// whose quoted cell swallowed a line that looks like a row, and notes a
// quoted cell still open at the end of the file.
func (ps *parser) read(from, to int, check bool) (split, error) {
	if ps.done || from >= to {
		return split{}, nil
	}
	end := len(ps.text)
	if to <= len(ps.starts) {
		end = ps.starts[to-1]
	}
	r := csv.NewReader(bytes.NewReader(ps.text[ps.starts[from-1]:end]))
	r.Comma = ps.sep
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	base := from - 1 // reader line 1 is file line from
	next := from     // where the next record starts, blank lines aside
	openAt := 0      // line of a quote the end of the file closed
	for {
		if check && next < to {
			// Looking ahead before encoding/csv reads the record keeps a
			// split from costing a read to the end of the file each time.
			quote, at, open := ps.scan(next, end)
			if at > 0 {
				line := ps.firstNonBlank(next)
				what := fmt.Sprintf("lines %d-%d were read as one record", line, at-1)
				if at-1 == line {
					what = fmt.Sprintf("line %d was read on its own", line)
				}
				ps.p.Notes = append(ps.p.Notes, Problem{Line: quote, Kind: ProblemQuote, Reason: fmt.Sprintf(
					"unbalanced quote at line %d: the quoted cell ran on into line %d, which looks like a row; %s and line %d onwards as rows",
					quote, at, what, at)})
				return split{record: line, at: at}, nil
			}
			if open {
				openAt = quote
			}
		}
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			ps.p.Records++
			ps.p.Rejected = append(ps.p.Rejected, Problem{Line: pe.StartLine + base, Reason: "unreadable CSV: " + pe.Err.Error()})
			next = pe.Line + base + 1
			continue
		}
		if err != nil {
			return split{}, err
		}
		line, _ := r.FieldPos(0)
		last, _ := r.FieldPos(len(rec) - 1)
		next = last + base + strings.Count(rec[len(rec)-1], "\n") + 1
		if !ps.record(rec, line+base) {
			ps.done = true
			return split{}, nil
		}
	}
	if openAt > 0 {
		ps.p.Notes = append(ps.p.Notes, Problem{Line: openAt, Kind: ProblemQuote, Reason: fmt.Sprintf(
			"unbalanced quote at line %d: the quoted cell runs to the end of the file and was kept as the last row's text", openAt)})
	}
	return split{}, nil
}

// firstNonBlank skips the empty lines encoding/csv skips between records.
func (ps *parser) firstNonBlank(n int) int {
	for n < len(ps.starts) {
		rest := ps.text[ps.starts[n-1]:]
		if !(rest[0] == '\n' || len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n') {
			break
		}
		n++
	}
	return n
}

// scan follows the record starting at line from (after blank lines) up
// to byte end by encoding/csv's lazy quote rules: a quote opens a quoted
// cell only as the cell's first byte and closes it only before the
// separator, a line break or the end; "" inside is a quote; any other
// quote is text. It returns the line of the quote that opened a cell
// spanning lines, the first line inside that cell that looks like a row
// (0 for none), and whether the cell was still open at end.
func (ps *parser) scan(from, end int) (quote, at int, open bool) {
	from = ps.firstNonBlank(from)
	if from > len(ps.starts) {
		return 0, 0, false
	}
	t, sep := ps.text[:end], byte(ps.sep)
	line, fieldStart, inQuote := from, true, false
	for i := ps.starts[from-1]; i < len(t); i++ {
		c := t[i]
		switch {
		case inQuote && c == '"':
			rest := t[i+1:]
			switch {
			case len(rest) > 0 && rest[0] == '"':
				i++
			case len(rest) == 0, rest[0] == sep, rest[0] == '\n', len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n':
				inQuote = false
			}
		case inQuote && c == '\n':
			line++
			if ps.looksLikeRow(ps.line(line)) {
				return quote, line, false
			}
		case inQuote:
		case c == '\n':
			return quote, 0, false
		case c == sep:
			fieldStart = true
			continue
		case fieldStart && c == '"':
			inQuote, quote = true, line
		}
		fieldStart = false
	}
	return quote, 0, inQuote
}

// looksLikeRow says whether a line read on its own is a record with a
// resource where the file keeps them: in the resource column under a
// header that has one, else in any of at least two cells. A multi-line
// log excerpt rarely has a line like that ("Received: from x
// (203.0.113.20)" is one cell that is not an address); when one does, the
// split is noted, so nothing changes silently.
func (ps *parser) looksLikeRow(line string) bool {
	if strings.TrimSpace(line) == "" {
		return false
	}
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = ps.sep, true, -1
	rec, err := r.Read()
	if err != nil || len(rec) < 2 {
		return false
	}
	if k := slices.Index(ps.cols, roleResource); k >= 0 {
		if k >= len(rec) {
			return false
		}
		_, _, _, ok := parseResource(rec[k])
		return ok
	}
	return hasResource(rec)
}

// record turns one CSV record starting on line into a row, a header, or a
// problem. It returns false once MaxRows rows are kept.
func (ps *parser) record(rec []string, line int) bool {
	p := ps.p
	p.Records++
	if blank(rec) {
		return true
	}
	if !ps.dataSeen && ps.cols == nil {
		if c, ok := headerRow(rec); ok {
			ps.cols = c
			ps.colNames = make([]string, len(rec))
			for i, c := range rec {
				ps.colNames[i] = strings.TrimSpace(c)
			}
			p.Header = make([]string, len(c))
			for i, rl := range c {
				p.Header[i] = roleNames[rl]
			}
			return true
		}
		if p.Records <= maxHeadRow && !hasResource(rec) {
			p.Rejected = append(p.Rejected, Problem{Line: line, Reason: "no IP address, instance id or ARN (and not a recognised header)"})
			return true
		}
	}
	ps.dataSeen = true
	if len(p.Rows) >= MaxRows {
		p.Truncated = true
		return false
	}
	var row Row
	var prob string
	var notes []string
	if ps.cols != nil {
		row, prob, notes = fromHeader(rec, ps.cols, ps.colNames)
	} else {
		row, prob, notes = infer(rec)
	}
	for _, n := range notes {
		p.Notes = append(p.Notes, Problem{Line: line, Reason: n})
	}
	if prob != "" {
		p.Rejected = append(p.Rejected, Problem{Line: line, Reason: prob})
		return true
	}
	row.Line = line
	p.Rows = append(p.Rows, row)
	return true
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func hasResource(rec []string) bool {
	for _, c := range rec {
		if _, _, _, ok := parseResource(c); ok {
			return true
		}
	}
	return false
}

// headerRow recognises a header: at least one known column name and no
// cell that is itself a resource.
func headerRow(rec []string) ([]role, bool) {
	cols := make([]role, len(rec))
	best := map[role]int{}
	known := false
	for i, c := range rec {
		if _, _, _, ok := parseResource(c); ok {
			return nil, false
		}
		h, ok := headerNames[normHeader(c)]
		if !ok {
			continue
		}
		known = true
		if j, taken := best[h.role]; taken {
			if headerNames[normHeader(rec[j])].rank <= h.rank {
				continue
			}
			cols[j] = roleNone
		}
		best[h.role] = i
		cols[i] = h.role
	}
	return cols, known
}

// fromHeader reads a record by its header. With no resource column, the
// first cell holding a resource is taken.
func fromHeader(rec []string, cols []role, names []string) (Row, string, []string) {
	var row Row
	var notes []string
	resCol := -1
	for i, c := range cols {
		if c == roleResource {
			resCol = i
		}
	}
	var port int
	if resCol >= 0 {
		if resCol >= len(rec) {
			return row, fmt.Sprintf("no value in column %q", clipCell(names[resCol])), nil
		}
		res, p, reason, ok := parseResource(rec[resCol])
		if !ok {
			if reason == "empty" {
				return row, fmt.Sprintf("column %q is empty", clipCell(names[resCol])), nil
			}
			return row, fmt.Sprintf("column %q: %q is %s", clipCell(names[resCol]), clipCell(rec[resCol]), reason), nil
		}
		row.Resource, port = res, p
	} else {
		found := false
		for i, c := range rec {
			if i < len(cols) && cols[i] != roleNone {
				continue
			}
			if res, p, _, ok := parseResource(c); ok {
				row.Resource, port, found = res, p, true
				break
			}
		}
		if !found {
			return row, "no IP address, instance id or ARN", nil
		}
	}
	for i, c := range cols {
		if i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
			continue
		}
		cell := rec[i]
		switch c {
		case roleTime:
			t, err := parseTime(cell)
			if err != nil {
				notes = append(notes, fmt.Sprintf("column %q: %q is %s; row kept without a time", clipCell(names[i]), clipCell(cell), err))
				continue
			}
			row.Time = t
		case roleDest:
			d, dp := destination(cell)
			row.Destination = d
			if row.Port == 0 {
				row.Port = dp
			}
		case rolePort:
			n, proto, err := parsePort(cell)
			if err != nil {
				notes = append(notes, fmt.Sprintf("column %q: %q is not a port; row kept without it", clipCell(names[i]), clipCell(cell)))
				continue
			}
			row.Port = n
			if row.Protocol == "" {
				row.Protocol = proto
			}
		case roleProto:
			if pr, ok := parseProto(cell); ok {
				row.Protocol = pr
			} else {
				// Redact before lower-casing: a key without its mixed case no
				// longer looks like one.
				row.Protocol = strings.ToLower(clipCell(cell))
			}
		case roleDetails:
			row.Details = clipDetails(cell)
		}
	}
	if row.Port == 0 {
		row.Port = port
	}
	return row, "", notes
}

// infer reads a record with no header by what its cells look like: the
// first resource is the accused one, a second address the destination, a
// time, a protocol name, a small number the port, and the longest
// remaining text the log excerpt.
func infer(rec []string) (Row, string, []string) {
	var row Row
	found := false
	var port int
	var text []string
	for _, c := range rec {
		s := strings.TrimSpace(c)
		if s == "" {
			continue
		}
		if res, p, _, ok := parseResource(s); ok {
			switch {
			case !found:
				row.Resource, port, found = res, p, true
			case row.Destination == "" && res.Kind == KindIP:
				row.Destination = res.Value
				if p != 0 && row.Port == 0 {
					row.Port = p
				}
			default:
				text = append(text, s)
			}
			continue
		}
		if row.Time.IsZero() {
			if t, err := parseTime(s); err == nil {
				row.Time = t
				continue
			}
		}
		if pr, ok := parseProto(s); ok && row.Protocol == "" && !allDigits(s) {
			row.Protocol = pr
			continue
		}
		if row.Port == 0 {
			if n, proto, err := parsePort(s); err == nil && n > 0 {
				row.Port = n
				if row.Protocol == "" {
					row.Protocol = proto
				}
				continue
			}
		}
		text = append(text, c)
	}
	if !found {
		return row, "no IP address, instance id or ARN", nil
	}
	if row.Port == 0 {
		row.Port = port
	}
	longest := ""
	for _, t := range text {
		if len(t) > len(longest) {
			longest = t
		}
	}
	row.Details = clipDetails(longest)
	return row, "", nil
}

// destination keeps an address (and the port an address:port carried) or
// a host name as the reporter wrote it.
func destination(cell string) (string, int) {
	s := strings.TrimSpace(refang.Replace(strings.TrimSpace(cell)))
	if res, p, _, ok := parseResource(s); ok && res.Kind == KindIP {
		return res.Value, p
	}
	return clipCell(s), 0
}

// clipCell and clipDetails are the only ways file text reaches a Row, a
// Problem or the report, so redacting here covers excerpts, destinations,
// protocols and quoted bad cells alike. Redaction comes before clipping: a
// key cut in half no longer looks like a key but still gives most of it
// away.
func clipCell(s string) string { return report.Clip(redact.Secrets(strings.TrimSpace(s)), maxCellMsg) }

func clipDetails(s string) string {
	return report.Clip(redact.Secrets(strings.TrimSpace(s)), maxDetails)
}

// sniff picks the separator that splits the first record into the most
// recognised column names (at least two); failing that, the one whose
// first records have the most consistent number of fields (more than
// one). A header is the stronger signal: a comma file whose log excerpts
// all contain ';' is consistent under both. csv does the splitting, so
// separators inside quoted excerpts do not count.
func sniff(text []byte) rune {
	sample := text
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
		if i := bytes.LastIndexByte(sample, '\n'); i > 0 {
			sample = sample[:i]
		}
	}
	best, bestScore, bestFields := ',', 0, 0
	bestNames, namesSep := 1, rune(0)
	for _, sep := range []rune{'\t', ';', ','} {
		r := csv.NewReader(bytes.NewReader(sample))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord = sep, true, -1
		counts := map[int]int{}
		first := true
		for range 20 {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || blank(rec) {
				continue
			}
			counts[len(rec)]++
			if first {
				first = false
				if n := knownNames(rec); n > bestNames {
					bestNames, namesSep = n, sep
				}
			}
		}
		for fields, n := range counts {
			if fields < 2 {
				continue
			}
			if n > bestScore || n == bestScore && fields > bestFields {
				best, bestScore, bestFields = sep, n, fields
			}
		}
	}
	if namesSep != 0 {
		return namesSep
	}
	return best
}

// knownNames counts the cells of a would-be header that name a column.
func knownNames(rec []string) int {
	n := 0
	for _, c := range rec {
		if _, ok := headerNames[normHeader(c)]; ok {
			n++
		}
	}
	return n
}

func sepName(r rune) string {
	if r == '\t' {
		return "tab"
	}
	return string(r)
}
