print("yaml events:", useYaml())
idle()
