print("Regex captures:", useSwiftRegex())
idle()
