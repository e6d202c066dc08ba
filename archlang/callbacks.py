"""Training callbacks for `archlang.fit(..., callbacks=[...])` (Keras/Lightning style): the
protocol, EarlyStopping, TensorBoard and StopTraining. Defined in archlang/train/callbacks.py;
re-exported here as the public name. Imports no torch."""

from .train.callbacks import Callback, EarlyStopping, StopTraining, TensorBoard, Training

__all__ = ["Callback", "EarlyStopping", "StopTraining", "TensorBoard", "Training"]
