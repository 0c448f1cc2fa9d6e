"""Neural-network pieces shared by DIET and TED that run without torch.

Models train in PyTorch; a trained model is stored as numpy arrays (`weights`) and answers
messages through numpy forward passes of the same layers (`layers`). `bot run` therefore never
imports torch (about 1.4 s of start-up and ~200 MB of memory), and a small forward pass costs
a few microseconds per operation instead of torch's tens.
"""
