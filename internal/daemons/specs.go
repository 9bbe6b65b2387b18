package daemons

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// spec is how to run one daemon.
type spec struct {
	// programs are the executables the daemon needs.
	programs []program
	// rootOnly, when set, says why the daemon cannot run as a normal user.
	rootOnly string
	// setup writes the configuration into e.dir and returns the command
	// that runs the daemon in the foreground.
	setup func(e *env) (*exec.Cmd, error)
}

var specs = map[string]spec{
	"postfix": {
		programs: []program{{name: "master", pkg: "postfix", dirs: []string{"/usr/lib/postfix/sbin"}}},
		rootOnly: "Postfix's master daemon starts only as root",
		setup:    setupPostfix,
	},
	"dovecot": {
		programs: []program{
			{name: "dovecot", pkg: "dovecot-core"},
			{name: "imap-login", pkg: "dovecot-imapd", dirs: []string{"/usr/lib/dovecot"}},
			{name: "pop3-login", pkg: "dovecot-pop3d", dirs: []string{"/usr/lib/dovecot"}},
			{name: "lmtp", pkg: "dovecot-lmtpd", dirs: []string{"/usr/lib/dovecot"}},
			{name: "managesieve-login", pkg: "dovecot-managesieved", dirs: []string{"/usr/lib/dovecot"}},
		},
		setup: setupDovecot,
	},
	"slapd": {
		programs: []program{{name: "slapd", pkg: "slapd"}},
		setup:    setupSlapd,
	},
	"postgresql": {
		programs: []program{
			{name: "initdb", pkg: "postgresql", dirs: []string{"/usr/lib/postgresql/*/bin"}},
			{name: "postgres", pkg: "postgresql", dirs: []string{"/usr/lib/postgresql/*/bin"}},
		},
		setup: setupPostgres,
	},
	"mariadb": {
		programs: []program{{name: "mariadbd", pkg: "mariadb-server"}},
		setup:    setupMariaDB,
	},
	"prosody": {
		programs: []program{{name: "prosody", pkg: "prosody"}},
		setup:    setupProsody,
	},
	"vsftpd": {
		programs: []program{{name: "vsftpd", pkg: "vsftpd"}},
		setup:    setupVsftpd,
	},
	"nnrpd": {
		programs: []program{
			{name: "nnrpd", pkg: "inn2", dirs: []string{"/usr/lib/news/bin"}},
			{name: "tdx-util", pkg: "inn2", dirs: []string{"/usr/lib/news/bin"}},
		},
		rootOnly: "INN's tools (tdx-util, which makes the overview database nnrpd needs) run only as the news user",
		setup:    setupNnrpd,
	},
}

// fill replaces {{key}} in tmpl with values[key].
func fill(tmpl string, values map[string]string) string {
	var args []string
	for k, v := range values {
		args = append(args, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(args...).Replace(tmpl)
}

func itoa(n int) string { return strconv.Itoa(n) }

// setupPostfix runs Postfix's master daemon directly (postfix start-fg
// spends seconds in its shell checks) with its own configuration and
// queue directories: smtpd on the smtp and submission ports, offering
// STARTTLS.
func setupPostfix(e *env) (*exec.Cmd, error) {
	owner, err := lookupAccount("postfix")
	if err != nil {
		return nil, err
	}
	if err := e.mkdirs("etc", "data", "queue/pid"); err != nil {
		return nil, err
	}
	// The queue layout post-install would make: root owns the queue
	// directory and pid/, the mail owner the rest.
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace", "maildrop", "public"} {
		mode := os.FileMode(0o700)
		switch d {
		case "maildrop":
			mode = 0o730
		case "public":
			mode = 0o710
		}
		p := e.path("queue", d)
		if err := os.Mkdir(p, mode); err != nil {
			return nil, err
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			return nil, err
		}
	}
	dirs := []string{e.path("data")}
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace", "maildrop", "public"} {
		dirs = append(dirs, e.path("queue", d))
	}
	if err := chown(owner, dirs...); err != nil {
		return nil, err
	}
	v := map[string]string{
		"dir": e.dir, "name": e.name, "cert": e.cert, "key": e.key,
		"smtp": itoa(e.ports["smtp"]), "submission": itoa(e.ports["submission"]),
	}
	main := fill(`compatibility_level = 3.6
queue_directory = {{dir}}/queue
data_directory = {{dir}}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {{name}}
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtpd_tls_chain_files = {{key}}, {{cert}}
smtpd_tls_security_level = may
maillog_file = /dev/stdout
`, v)
	// Every service runs unchrooted: a chroot would need copies of
	// /etc files inside the queue directory.
	master := fill(`127.0.0.1:{{smtp}} inet n - n - - smtpd
127.0.0.1:{{submission}} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`, v)
	if err := e.write("etc/main.cf", main); err != nil {
		return nil, err
	}
	if err := e.write("etc/master.cf", master); err != nil {
		return nil, err
	}
	// Postfix waits (seconds) until a configuration file written within
	// the last moments settles; these are complete, so date them back.
	past := time.Now().Add(-time.Minute)
	for _, f := range []string{"etc/main.cf", "etc/master.cf"} {
		if err := os.Chtimes(e.path(f), past, past); err != nil {
			return nil, err
		}
	}
	// -s keeps standard output open, where maillog_file sends the log.
	return exec.Command(e.prog["master"], "-c", e.path("etc"), "-s"), nil
}

// setupDovecot runs dovecot -F with IMAP, POP3, LMTP and ManageSieve on
// loopback. As root its login and internal processes drop to the dovenull
// and dovecot users as usual; as a normal user they all run as that user,
// without chroot.
func setupDovecot(e *env) (*exec.Cmd, error) {
	if err := e.mkdirs("run", "state", "home"); err != nil {
		return nil, err
	}
	me, err := current()
	if err != nil {
		return nil, err
	}
	v := map[string]string{
		"dir": e.dir, "cert": e.cert, "key": e.key, "user": me.name, "group": me.group,
		"imap": itoa(e.ports["imap"]), "pop3": itoa(e.ports["pop3"]),
		"lmtp": itoa(e.ports["lmtp"]), "sieve": itoa(e.ports["sieve"]),
		"chroot": "",
	}
	conf := `base_dir = {{dir}}/run
state_dir = {{dir}}/state
instance_name = dovecot-{{imap}}
protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
ssl = yes
ssl_cert = <{{cert}}
ssl_key = <{{key}}
log_path = /dev/stderr
auth_mechanisms = plain
passdb {
  driver = static
  args = password=unused
}
userdb {
  driver = static
  args = uid={{user}} gid={{group}} home={{dir}}/home
}
mail_location = maildir:{{dir}}/home/Maildir
service imap-login {
  {{chroot}}
  inet_listener imap {
    port = {{imap}}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  {{chroot}}
  inet_listener pop3 {
    port = {{pop3}}
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = {{lmtp}}
  }
}
service managesieve-login {
  {{chroot}}
  inet_listener sieve {
    port = {{sieve}}
  }
}
`
	if !e.root {
		// Without root nothing can change user or chroot: every process
		// runs as the user running the tests.
		v["chroot"] = "chroot ="
		conf += `default_internal_user = {{user}}
default_login_user = {{user}}
default_internal_group = {{group}}
service anvil {
  chroot =
}
`
	}
	if err := e.write("dovecot.conf", fill(conf, v)); err != nil {
		return nil, err
	}
	return exec.Command(e.prog["dovecot"], "-F", "-c", e.path("dovecot.conf")), nil
}

// setupSlapd runs slapd in the foreground (-d none: no debug output, but
// its errors on standard error) with no database: the StartTLS extended
// operation needs only the TLS settings.
func setupSlapd(e *env) (*exec.Cmd, error) {
	conf := fill(`pidfile {{dir}}/slapd.pid
argsfile {{dir}}/slapd.args
TLSCertificateFile {{cert}}
TLSCertificateKeyFile {{key}}
`, map[string]string{"dir": e.dir, "cert": e.cert, "key": e.key})
	if err := e.write("slapd.conf", conf); err != nil {
		return nil, err
	}
	return exec.Command(e.prog["slapd"], "-d", "none", "-f", e.path("slapd.conf"),
		"-h", "ldap://127.0.0.1:"+itoa(e.ports["ldap"])+"/"), nil
}

// setupPostgres makes a cluster with initdb (as the postgres user when
// run as root: PostgreSQL refuses root) and runs postgres with ssl=on.
func setupPostgres(e *env) (*exec.Cmd, error) {
	var as *account
	if e.root {
		a, err := lookupAccount("postgres")
		if err != nil {
			return nil, err
		}
		as = &a
		if err := chown(a, e.dir); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(e.prog["initdb"], "-D", e.path("data"), "-A", "trust", "-U", "postgres",
		"-N", "-E", "UTF8", "--locale=C", "--no-instructions")
	initdb.Dir = e.dir
	if as != nil {
		asUser(initdb, *as)
	}
	if err := runSetup(initdb); err != nil {
		return nil, err
	}
	cmd := exec.Command(e.prog["postgres"], "-D", e.path("data"),
		"-h", "127.0.0.1", "-p", itoa(e.ports["postgres"]), "-k", e.dir,
		"-c", "ssl=on", "-c", "ssl_cert_file="+e.cert, "-c", "ssl_key_file="+e.key,
		"-c", "fsync=off", "-c", "logging_collector=off")
	if as != nil {
		asUser(cmd, *as)
	}
	return cmd, nil
}

// setupMariaDB runs mariadbd on an empty data directory with
// --skip-grant-tables: the TLS upgrade happens before any account is
// looked up, so mariadb-install-db (seconds) is not needed.
func setupMariaDB(e *env) (*exec.Cmd, error) {
	if err := e.mkdirs("data", "tmp"); err != nil {
		return nil, err
	}
	args := []string{"--no-defaults",
		"--datadir=" + e.path("data"), "--tmpdir=" + e.path("tmp"),
		"--socket=" + e.path("mysqld.sock"), "--pid-file=" + e.path("mysqld.pid"),
		"--bind-address=127.0.0.1", "--port=" + itoa(e.ports["mysql"]),
		"--skip-grant-tables", "--skip-log-bin",
		"--innodb-buffer-pool-size=8M", "--innodb-log-file-size=4M",
		"--innodb-data-file-path=ibdata1:4M:autoextend",
		"--innodb-temp-data-file-path=ibtmp1:4M:autoextend",
		"--ssl-cert=" + e.cert, "--ssl-key=" + e.key,
	}
	if e.root {
		a, err := lookupAccount("mysql")
		if err != nil {
			return nil, err
		}
		if err := chown(a, e.dir); err != nil {
			return nil, err
		}
		args = append(args, "--user=mysql")
	}
	return exec.Command(e.prog["mariadbd"], args...), nil
}

// setupProsody runs prosody -F with a client and a server port and one
// virtual host, the certificate's name.
func setupProsody(e *env) (*exec.Cmd, error) {
	if err := e.mkdirs("data", "certs"); err != nil {
		return nil, err
	}
	runAsRoot := "false"
	if e.root {
		runAsRoot = "true"
	}
	conf := fill(`run_as_root = {{root}}
pidfile = "{{dir}}/prosody.pid"
data_path = "{{dir}}/data"
certificates = "{{dir}}/certs"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { {{xmpp}} }
s2s_ports = { {{s2s}} }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
legacy_ssl_ports = { }
modules_enabled = { "tls", "dialback", "saslauth", "disco" }
log = { { levels = { min = "info" }, to = "console" } }
ssl = { certificate = "{{cert}}", key = "{{key}}" }
authentication = "internal_hashed"
VirtualHost "{{name}}"
`, map[string]string{"root": runAsRoot, "dir": e.dir, "cert": e.cert, "key": e.key, "name": e.name,
		"xmpp": itoa(e.ports["xmpp"]), "s2s": itoa(e.ports["xmpp-server"])})
	if err := e.write("prosody.cfg.lua", conf); err != nil {
		return nil, err
	}
	return exec.Command(e.prog["prosody"], "--config", e.path("prosody.cfg.lua"), "-F"), nil
}

// setupVsftpd runs vsftpd in the foreground with AUTH TLS. vsftpd reports
// start-up errors on its standard input (the FTP control connection under
// inetd), so that is the log file.
func setupVsftpd(e *env) (*exec.Cmd, error) {
	if err := e.mkdirs("empty"); err != nil {
		return nil, err
	}
	v := map[string]string{"dir": e.dir, "cert": e.cert, "key": e.key, "port": itoa(e.ports["ftp"])}
	conf := `listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port={{port}}
background=NO
anonymous_enable=NO
local_enable=YES
ssl_enable=YES
rsa_cert_file={{cert}}
rsa_private_key_file={{key}}
ssl_ciphers=HIGH
secure_chroot_dir={{dir}}/empty
pasv_enable=NO
xferlog_enable=NO
syslog_enable=NO
seccomp_sandbox=NO
`
	if !e.root {
		conf += "run_as_launching_user=YES\n"
	}
	if err := e.write("vsftpd.conf", fill(conf, v)); err != nil {
		return nil, err
	}
	e.stdinLog = true
	return exec.Command(e.prog["vsftpd"], e.path("vsftpd.conf")), nil
}

// setupNnrpd runs INN's reader daemon standalone (nnrpd -D -f) with an
// inn.conf of its own (INNCONF) over an empty news spool: it offers
// STARTTLS from tlscertfile and tlskeyfile. As root it drops to the news
// user, which then owns the directory. nnrpdloadlimit 0: by default nnrpd
// turns readers away ("400 load at 17, try later") when the load average
// passes 16, as on a busy test machine.
func setupNnrpd(e *env) (*exec.Cmd, error) {
	if err := e.mkdirs("etc", "db", "run", "log", "tmp", "spool/overview", "spool/articles", "spool/incoming", "spool/outgoing", "spool/archive"); err != nil {
		return nil, err
	}
	if err := e.write("db/active", ""); err != nil {
		return nil, err
	}
	if err := e.write("db/newsgroups", ""); err != nil {
		return nil, err
	}
	if err := e.write("etc/readers.conf", `auth "all" {
  hosts: "*"
  default: "<all>"
}
access "all" {
  users: "*"
  newsgroups: "*"
  access: R
}
`); err != nil {
		return nil, err
	}
	if err := e.write("etc/storage.conf", "method timehash {\n    newsgroups: *\n    class: 0\n}\n"); err != nil {
		return nil, err
	}
	conf := fill(`domain: {{domain}}
pathhost: {{name}}
mta: "/bin/false %s"
hismethod: hisv6
ovmethod: tradindexed
pathnews: /usr/lib/news
pathbin: /usr/lib/news/bin
pathcontrol: /usr/lib/news/bin/control
pathetc: {{dir}}/etc
pathfilter: {{dir}}/etc
pathdb: {{dir}}/db
pathrun: {{dir}}/run
pathlog: {{dir}}/log
pathtmp: {{dir}}/tmp
pathhttp: {{dir}}/tmp
pathspool: {{dir}}/spool
pathoverview: {{dir}}/spool/overview
patharticles: {{dir}}/spool/articles
pathincoming: {{dir}}/spool/incoming
pathoutgoing: {{dir}}/spool/outgoing
patharchive: {{dir}}/spool/archive
tlscertfile: {{cert}}
tlskeyfile: {{key}}
nnrpdloadlimit: 0
`, map[string]string{"dir": e.dir, "name": e.name, "cert": e.cert, "key": e.key, "domain": domainOf(e.name)})
	if err := e.write("inn.conf", conf); err != nil {
		return nil, err
	}
	var news account
	if e.root {
		a, err := lookupAccount("news")
		if err != nil {
			return nil, err
		}
		if err := chown(a, e.dir); err != nil {
			return nil, err
		}
		news = a
	}
	e.env = append(e.env, "INNCONF="+e.path("inn.conf"))
	// nnrpd answers "400 unavailable" without an overview database:
	// tdx-util makes one, with one empty group.
	tdx := exec.Command(e.prog["tdx-util"], "-c", "-n", "local.test", "-p", e.path("spool/overview"))
	tdx.Dir, tdx.Env = e.dir, append(os.Environ(), e.env...)
	if e.root {
		asUser(tdx, news)
	}
	if err := runSetup(tdx); err != nil {
		return nil, err
	}
	return exec.Command(e.prog["nnrpd"], "-D", "-f", "-b", "127.0.0.1", "-p", itoa(e.ports["nntp"]), "-n"), nil
}

// domainOf returns the domain part of a host name ("test" for
// "example.test"), which INN wants when the machine's own name has none.
func domainOf(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return fmt.Sprintf("%s.invalid", name)
}
