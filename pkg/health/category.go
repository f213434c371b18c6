package health

import "strings"

// Category groups event codes that need the same response.
type Category string

const (
	CategoryDoS           Category = "dos"
	CategorySpam          Category = "spam"
	CategoryPortScan      Category = "port-scanning"
	CategoryIntrusion     Category = "intrusion"
	CategoryPhishing      Category = "phishing"
	CategoryMalware       Category = "malware"
	CategoryOpenProxy     Category = "open-proxy"
	CategoryCopyright     Category = "copyright"
	CategoryContent       Category = "content"
	CategoryCredExposed   Category = "credentials-exposed"
	CategoryCredCompromis Category = "credentials-compromised"
	CategoryQuarantine    Category = "iam-quarantine"
	// CategoryOutboundList is a resource list (CSV) of outbound abuse that
	// came without a category: not a Health code, set by the CSV import.
	CategoryOutboundList Category = "outbound-list"
	CategoryUnknown      Category = "unknown"
)

// Categories lists every category, for guidance completeness checks.
var Categories = []Category{
	CategoryDoS, CategorySpam, CategoryPortScan, CategoryIntrusion, CategoryPhishing,
	CategoryMalware, CategoryOpenProxy, CategoryCopyright, CategoryContent,
	CategoryCredExposed, CategoryCredCompromis, CategoryQuarantine, CategoryOutboundList, CategoryUnknown,
}

// IsCredential reports whether the category is about IAM credentials.
func (c Category) IsCredential() bool {
	return c == CategoryCredExposed || c == CategoryCredCompromis || c == CategoryQuarantine
}

// wordRules classify by the words in a code, first match wins, so a new
// code such as AWS_ABUSE_EC2_SMTP_SPAM_REPORT still lands somewhere
// sensible. Each rule needs all its words present.
var wordRules = []struct {
	words []string
	cat   Category
}{
	{[]string{"QUARANTINE"}, CategoryQuarantine},
	{[]string{"COMPROMISE"}, CategoryCredCompromis},
	{[]string{"COMPROMISED"}, CategoryCredCompromis},
	{[]string{"CREDENTIALS"}, CategoryCredExposed},
	{[]string{"EXPOSED"}, CategoryCredExposed},
	{[]string{"EXPOSURE"}, CategoryCredExposed},
	{[]string{"DOS"}, CategoryDoS},
	{[]string{"DDOS"}, CategoryDoS},
	{[]string{"PHISHING"}, CategoryPhishing},
	{[]string{"SPAM"}, CategorySpam},
	{[]string{"PORT", "SCANNING"}, CategoryPortScan},
	{[]string{"PORTSCAN"}, CategoryPortScan},
	{[]string{"SCANNING"}, CategoryPortScan},
	{[]string{"SCAN"}, CategoryPortScan},
	{[]string{"INTRUSION"}, CategoryIntrusion},
	{[]string{"BRUTE"}, CategoryIntrusion},
	{[]string{"MALWARE"}, CategoryMalware},
	{[]string{"BOTNET"}, CategoryMalware},
	{[]string{"PROXY"}, CategoryOpenProxy},
	{[]string{"COPYRIGHT"}, CategoryCopyright},
	{[]string{"DMCA"}, CategoryCopyright},
	{[]string{"TRADEMARK"}, CategoryCopyright},
	{[]string{"PII"}, CategoryContent},
	{[]string{"CONTENT"}, CategoryContent},
}

// Classify maps an event code to a category by its words.
func Classify(service, code string) Category {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToUpper(code), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		words[w] = true
	}
	for _, r := range wordRules {
		all := true
		for _, w := range r.words {
			all = all && words[w]
		}
		if all {
			return r.cat
		}
	}
	return CategoryUnknown
}
