// Package app wires the pipeline for a mode: the embedded demo account with
// a local outbox, or the real AWS adapters. The CLI and the Lambdas call it,
// so both run the same stages with the same dependencies.
package app

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/abusedesk/abusedesk/pkg/cases"
	"github.com/abusedesk/abusedesk/pkg/config"
	"github.com/abusedesk/abusedesk/pkg/contacts"
	"github.com/abusedesk/abusedesk/pkg/demo"
	"github.com/abusedesk/abusedesk/pkg/enrich"
	"github.com/abusedesk/abusedesk/pkg/notify"
	"github.com/abusedesk/abusedesk/pkg/notify/outbox"
	"github.com/abusedesk/abusedesk/pkg/pipeline"
	"github.com/abusedesk/abusedesk/pkg/report"
)

// DemoOutboxDir is where a revision's rendered notifications go.
func DemoOutboxDir(dir, caseID string, revision int) string {
	return filepath.Join(dir, caseID, "outbox", fmt.Sprintf("r%d", revision))
}

// Demo wires the pipeline against the embedded demo account, writing cases,
// reports and the outbox under dir. now may be nil (wall clock).
func Demo(cfg config.Config, dir string, now func() time.Time, log *slog.Logger) (*pipeline.Pipeline, error) {
	w, err := demo.Default()
	if err != nil {
		return nil, err
	}
	fallback := contacts.Contact{Language: "en", To: cfg.DefaultRecipient}
	if len(fallback.To) == 0 {
		fallback.To = []string{"abuse-desk-oncall@msp.example"}
	}
	var directory contacts.Directory = w.Contacts()
	if cfg.ContactsFile != "" {
		d, err := contacts.LoadFile(cfg.ContactsFile)
		if err != nil {
			return nil, err
		}
		directory = d
	}
	opts := notify.EmailOptions{From: cfg.Sender, FromName: cfg.SenderName, ReplyTo: cfg.ReplyTo, ConfigurationSet: cfg.ConfigurationSet}
	if opts.From == "" {
		opts.From = "abuse-desk@msp.example"
	}
	return &pipeline.Pipeline{
		Store:    &cases.FileStore{Dir: dir},
		Engine:   &enrich.Engine{Connector: w, SESRegions: SESRegions(cfg)},
		Sink:     report.DirSink{Dir: dir},
		Contacts: directory,
		Fallback: fallback,
		Notifier: func(caseID string, revision int) *notify.Dispatcher {
			box := &outbox.Outbox{Dir: DemoOutboxDir(dir, caseID, revision), Now: now}
			return &notify.Dispatcher{
				Mailer: box, Alerter: box, Events: box,
				Ledger: &outbox.Ledger{Dir: filepath.Join(dir, caseID, "ledger")},
				Email:  opts, Now: now, Log: log,
			}
		},
		Now: now,
		Log: log,
	}, nil
}

// SESRegions are the regions whose SES reputation every case reports.
func SESRegions(cfg config.Config) []string {
	if len(cfg.SESRegions) > 0 {
		return cfg.SESRegions
	}
	return []string{enrich.DefaultRegion}
}
