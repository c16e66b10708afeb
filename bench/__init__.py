"""Benchmarks (not part of ``make test``). ``python -m bench`` runs the TLS client benchmark
(handshakes and bulk receive against stdlib ``ssl``); ``python -m bench.audit_many`` runs the
many-host audit benchmark."""
