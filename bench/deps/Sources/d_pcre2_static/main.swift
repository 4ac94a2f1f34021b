print("pcre2_match:", usePCRE2())
idle()
