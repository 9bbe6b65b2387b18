package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/clients"
)

// TestListClientsGolden renders check --list-clients as a table and as JSON.
func TestListClientsGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"clients_list_table", []string{"check", "--list-clients"}},
		{"clients_list_json", []string{"check", "--list-clients", "-o", "json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", c.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			goldenFile(t, c.name, out)
		})
	}
}

// TestListClients checks that every embedded profile is listed once, with
// GREASE left out of the table's counts, and the usage errors.
func TestListClients(t *testing.T) {
	all, err := clients.All()
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, "", "check", "--list-clients", "-o", "json")
	var listed []clientJSON
	if err := json.Unmarshal([]byte(out), &listed); err != nil || code != 0 {
		t.Fatalf("exit %d, output not JSON: %v\n%s", code, err, out)
	}
	if len(listed) != len(all) {
		t.Fatalf("listed %d clients, %d embedded", len(listed), len(all))
	}
	for i, p := range all {
		if listed[i].Name != p.Name || listed[i].Client != p.Client || len(listed[i].CipherSuites) != len(p.Decoded.CipherSuites) {
			t.Errorf("entry %d: %+v, want profile %s", i, listed[i], p.Name)
		}
	}
	_, table, _ := cli(t, "", "check", "--list-clients")
	if strings.Contains(table, "GREASE") {
		t.Errorf("the table shows GREASE values:\n%s", table)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"with a target", []string{"check", "--list-clients", "example.com"}, "takes no targets"},
		{"with a list", []string{"check", "--list-clients", "-f", "-"}, "takes no targets"},
		{"sarif", []string{"check", "--list-clients", "-o", "sarif"}, "use table or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := cli(t, "", tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}
