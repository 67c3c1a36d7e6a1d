print("nnmodel")
