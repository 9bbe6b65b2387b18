// Package deploy holds the examples for running certgate serve: a
// Kubernetes Deployment, Service and ServiceMonitor (kubernetes.yaml), a
// Prometheus configuration that scrapes /metrics and /probe
// (prometheus.yml), and alert rules (alerts.yml) with their promtool unit
// tests (alerts_test.yml). Its tests check them with the real promtool.
package deploy
