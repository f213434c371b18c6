package snsalert

// Precomposed Hangul syllables are (initial*21 + medial)*28 + final from
// U+AC00, which makes Revised Romanization a table lookup per part. Sound
// changes across syllables are not applied: the subject only needs to stay
// recognisable to an on-call engineer.
const (
	hangulFirst = 0xAC00
	hangulLast  = 0xD7A3
)

var (
	rrInitial = [19]string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	rrMedial  = [21]string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	rrFinal   = [28]string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

func romanize(r rune) string {
	i := int(r - hangulFirst)
	return rrInitial[i/(21*28)] + rrMedial[(i/28)%21] + rrFinal[i%28]
}
