print("io_uring_queue_init:", useUring())
idle()
