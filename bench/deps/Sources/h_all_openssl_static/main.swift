print("io_uring_queue_init:", useUring(), "yaml events:", useYaml(), "pcre2_match:", usePCRE2(), "SSL_CTX created:", useOpenSSL())
idle()
