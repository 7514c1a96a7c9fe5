//! Log readers: EVTX, Windows JSON, IIS W3C, Exchange CSV, syslog, web access logs; format sniffing.
