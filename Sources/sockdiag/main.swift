import SockdiagBPF
import SockdiagCapture
print(embeddedSize(), pcapVersion())
