# %% [markdown]
# # 5_curvature

# %%
print(1 + 1)
