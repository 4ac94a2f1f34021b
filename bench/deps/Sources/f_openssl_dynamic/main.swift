print("SSL_CTX created:", useOpenSSL())
idle()
