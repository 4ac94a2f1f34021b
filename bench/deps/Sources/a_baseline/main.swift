print("baseline")
idle()
