# Issue 7: resource-list (CSV) intake.
.PHONY: test-csv fuzz-csv csv-demo

test-csv:
	$(GO) test -count=1 ./pkg/csvintake/... ./functions/csvimport/...
	$(GO) test -count=1 -run 'TestCSV' ./cmd/abusedesk/

fuzz-csv:
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./pkg/csvintake

# Import the sample lists against the embedded demo account.
csv-demo: $(CLI)
	@for f in testdata/csv/*.csv testdata/csv/*.txt; do \
	  $(CLI) csv --out $(DEMO_OUT)/csv --account 123456789012 --region us-west-2,us-east-1 $$f || exit 1; done
