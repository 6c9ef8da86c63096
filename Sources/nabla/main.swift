import Nabla
print(Tensor([1, 2, 3]))
