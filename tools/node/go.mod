// This directory holds npm tools (node_modules). Its own go.mod keeps the Go
// files some npm packages ship (aws-cdk init templates) out of ./... at the root.
module abusedesk.invalid/tools/node

go 1.26
