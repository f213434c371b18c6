package awsx

import "regexp"

// regionRE matches AWS region names (us-east-1, us-gov-west-1, cn-north-1,
// ap-southeast-5, eusc-de-east-1). Region names end up in endpoint host
// names, so anything else is refused before a client is built.
var regionRE = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]{1,2}$`)

// ValidRegion reports whether s is shaped like an AWS region name.
func ValidRegion(s string) bool { return len(s) <= 32 && regionRE.MatchString(s) }
